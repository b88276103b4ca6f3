"""GET/POST {issuer}/protocol/openid-connect/logout: RP-initiated logout, and Keycloak's logout
by refresh token (a POST carrying ``refresh_token``, from a client rather than a browser).

When clients of the ended session want front-channel logout (protocol/frontchannel.py), the
answer is a page that frames their URLs, then goes on to the post-logout redirect URI by itself
(a meta refresh, which a browser follows once the frames have loaded; a link for the rest), as
Keycloak's page does; its Content-Security-Policy lets it frame those origins and no other."""

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import sessions
from authserver.protocol import client_auth, frontchannel, refresh_token_logout
from authserver.protocol import logout as protocol
from authserver.protocol.errors import InvalidClient, InvalidRequest, OAuthError
from authserver.views import responses
from authserver.views.cors import cors
from authserver.views.forms import checked_form

_PARAMS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales")


def _params(request) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    return {name: source.get(name, "") for name in _PARAMS}


def _csrf_failure(request):
    """The confirmation form is ours and CSRF-protected; a relying party's own POST (allowed by
    the spec) carries no token and only ever leads to that form."""
    return CsrfViewMiddleware(lambda _: None).process_view(request, None, (), {})


@csrf_exempt
@cors(methods=("GET", "POST"), credentials=True)
@never_cache
@require_http_methods(["GET", "POST"])
def end_session(request):
    if _by_refresh_token(request):
        return _end_by_refresh_token(request)
    realm = request.realm
    try:
        logout = protocol.parse(realm, _params(request))
    except InvalidRequest as error:
        # Never redirect on a bad request: the target itself may be what is wrong.
        return render(
            request,
            "authserver/logout_error.html",
            {"realm": realm, "error": error.error, "description": error.description},
            status=400,
        )
    request.cors_client = logout.client
    session = sessions.current(request, realm)
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if confirmed and (failure := _csrf_failure(request)) is not None:
        return failure
    if session is not None and not confirmed and not logout.matches(session):
        return render(
            request,
            "authserver/logout_confirm.html",
            {"realm": realm, "params": _params(request), "client": logout.client},
        )
    target = logout.redirect_target()
    frames = frontchannel.frames(session)
    if frames:
        response = _frames_then(request, frames, target)
    elif target:
        response = _redirect(target)
    else:
        response = render(request, "authserver/logged_out.html", {"realm": realm})
    sessions.end(request, response, realm)
    return response


def _frames_then(request, frames: list[frontchannel.Frame], target: str | None) -> HttpResponse:
    """The signed-out page with a hidden frame per front-channel URL, then ``target``."""
    response = render(
        request,
        "authserver/frontchannel_logout.html",
        {"realm": request.realm, "frames": frames, "target": target},
    )
    allowed = " ".join(sorted({frame.origin for frame in frames}))
    response["Content-Security-Policy"] = f"{settings.CONTENT_SECURITY_POLICY}; frame-src {allowed}"
    return response


def _redirect(target: str) -> HttpResponse:
    """A 302 to a registered URI. Not HttpResponseRedirect: a native app's URI may use its own
    scheme (RFC 8252 §7.1), which Django's redirect refuses."""
    response = HttpResponse(status=302)
    response["Location"] = target
    return response


def _by_refresh_token(request) -> bool:
    """Keycloak tells the two apart by the form's ``refresh_token``; a browser never sends one.
    The content type is looked at first, so that no other body is parsed here."""
    return (
        request.method == "POST"
        and request.content_type == "application/x-www-form-urlencoded"
        and "refresh_token" in request.POST
    )


def _end_by_refresh_token(request):
    """204 once the token's session has ended; RFC 6749 §5.2 JSON errors otherwise."""
    authorization = request.headers.get("Authorization")
    try:
        form = checked_form(request)
        client = client_auth.identify(
            request.realm, authorization=authorization, form=form, environ=request.META
        )
        with transaction.atomic():
            refresh_token_logout.logout(
                client,
                form.get("refresh_token"),
                proof=request.headers.get("DPoP"),
                environ=request.META,
            )
    except InvalidClient as error:
        return responses.oauth_error(error, basic_auth_used=bool(authorization))
    except OAuthError as error:
        return responses.oauth_error(error)
    return responses.no_store(HttpResponse(status=204))
