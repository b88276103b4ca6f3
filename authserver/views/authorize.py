"""GET/POST {issuer}/protocol/openid-connect/auth (RFC 6749 §4.1.1, OIDC Core §3.1.2).

The checks and decisions live in protocol/authorization.py; oauthlib (through DOT) validates the
rest and issues the code. This adapter turns each outcome into a page or a redirect.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit

from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError

from accounts import sessions
from accounts.no_referrer import no_referrer, no_referrer_form
from authserver.protocol import authorization, consent, pushed_requests, request_objects
from authserver.protocol.errors import InvalidRequest, OAuthError
from authserver.views import responses
from authserver.views.oauth import core

# The consent page's own fields, which are not part of the authorization request.
_CONSENT_FIELDS = {"decision", "csrfmiddlewaretoken"}


# Any site may POST an authorization request (OIDC Core §3.1.2.1), so the endpoint cannot
# demand a CSRF token; the consent decision, which only our page sends, must carry one.
@no_referrer
@csrf_exempt
@never_cache
def authorize(request):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST" and "decision" in request.POST:
        return _decide(request)
    return _authorize(request, decision=None)


@no_referrer_form
def _decide(request):
    return _authorize(request, decision=request.POST["decision"] == "allow")


def _params(request) -> authorization.Params:
    """Every parameter with its non-empty values (RFC 6749 §3.1: empty means omitted)."""
    found: authorization.Params = {}
    sources = [request.GET] + ([request.POST] if request.method == "POST" else [])
    for source in sources:
        for name, values in source.lists():
            if name not in _CONSENT_FIELDS:
                found.setdefault(name, []).extend(value for value in values if value)
    return {name: values for name, values in found.items() if values}


def _authorize(request, *, decision: bool | None):
    realm = request.realm
    # What the browser carries: the whole request, or (RFC 9126) a pushed one's reference.
    front = params = _params(request)
    pushed_uri, by_value = None, "request" in params
    try:
        if pushed_requests.names_pushed_request(params):
            pushed_uri, params = pushed_requests.resolve(realm, params)
        elif by_value:
            params = request_objects.expand(realm, params)
        if pushed_uri is not None or by_value:
            # What oauthlib reads too, in place of what the browser sent (protocol/backend.py).
            request.authorization_params = params
        target = authorization.target(realm, params)
    except OAuthError as error:
        return responses.authorization_error_page(request, error)
    answer = _Answer(request, target, pushed_uri)
    try:
        authorization.check_policies(target.client, params)
        if pushed_uri is None and pushed_requests.is_required(target.client):
            raise InvalidRequest("This client must push its authorization requests (PAR).")
        request_objects.check_required(
            target.client, by_value=by_value, by_reference=pushed_uri is not None
        )
        interaction = authorization.with_id_token_hint(
            authorization.check(params), realm, target.client, params
        )
        session = sessions.current(request, realm)
        request.sso_session = session
        scopes, credentials = core().validate_authorization_request(request)
        step = authorization.next_step(
            session=session,
            interaction=interaction,
            client=target.client,
            scopes=scopes,
            decided=decision is not None,
            now=timezone.now(),
        )
        if step is authorization.Step.LOGIN:
            return _login(request, front, interaction)
        if step is authorization.Step.CONSENT:
            return _consent_page(request, target, front, scopes, session)
        if decision:
            consent.record(target.client, session.user, scopes)
        request.user = session.user
        location, _, _, _ = core().create_authorization_response(
            request, scopes, credentials, allow=decision is not False
        )
    except FatalClientError as error:
        return responses.authorization_error_page(request, _described(error.oauthlib_error))
    except OAuthToolkitError as error:
        return answer.error(error.oauthlib_error)
    except OAuthError as error:
        return answer.error(error)
    except ValueError:
        # oauthlib refuses what it cannot decode (e.g. a malformed percent-escape).
        return answer.error(InvalidRequest("The request could not be decoded."))
    response = answer.success(location)
    sessions.keep_state_cookie(request, response, session)
    return response


def _described(error) -> OAuthError:
    return InvalidRequest(getattr(error, "description", "") or "Invalid request.")


class _Answer:
    """Responses to a request whose client and redirect URI are known to be genuine."""

    def __init__(self, request, target: authorization.Target, pushed_uri: str | None = None):
        self.request, self.target, self.pushed_uri = request, target, pushed_uri

    def _send(self, params):
        if self.pushed_uri is not None:
            pushed_requests.spend(self.pushed_uri)
        return responses.authorization_response(
            self.request,
            redirect_uri=self.target.redirect_uri,
            response_mode=self.target.response_mode,
            params=params,
            issuer=self.request.realm.issuer,
        )

    def error(self, error):
        if self.pushed_uri is not None:
            pushed_requests.spend(self.pushed_uri)
        return responses.authorization_error(
            self.request,
            error,
            redirect_uri=self.target.redirect_uri,
            response_mode=self.target.response_mode,
            state=self.target.state,
            issuer=self.request.realm.issuer,
        )

    def success(self, location: str):
        """oauthlib answers with the redirect URI plus its parameters: take those, and send
        them in the response mode asked for."""
        registered = parse_qsl(urlsplit(self.target.redirect_uri).query, keep_blank_values=True)
        answered = urlsplit(location)
        # oauthlib itself honours response_mode=fragment: the parameters may be in either.
        given = parse_qsl(answered.query, keep_blank_values=True)[len(registered) :]
        given += parse_qsl(answered.fragment, keep_blank_values=True)
        # OIDC Session Management 1.0 §3: the login state the client's frame will ask about.
        session_state = [("session_state", str(self.request.sso_session.sid))]
        return self._send(given + session_state)


def _login(request, params, interaction):
    realm = request.realm
    query = {"next": authorization.after_login(request.path, params)}
    if interaction.login_hint:
        query["login_hint"] = interaction.login_hint
    return redirect(f"/realms/{realm.name}/login?{urlencode(query)}")


def _consent_page(request, target, params, scopes, session):
    client = target.client
    context = {
        "realm": request.realm,
        "user": session.user,
        "client_name": client.name or client.client_id,
        "scopes": consent.describe(request.realm, scopes),
        "action": request.path,
        "params": [(name, values[0]) for name, values in params.items()],
    }
    return responses.no_store(render(request, "authserver/consent.html", context))
