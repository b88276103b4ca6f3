"""The token-exchange grant (RFC 8693 §2) as an oauthlib grant type, registered in server.py.

A confidential client trades a user's access token of this realm (the subject token, checked
exactly as UserInfo checks a bearer token, and meant for that client) for an RFC 9068 access
token meant for one audience, with no scope the subject token does not allow, and with the
client recorded as the actor (§4.1 ``act``). The new token joins the subject token's family
and SSO session: revoking the user's grant or ending the session revokes it too. It never
outlives the subject token, so a chain of exchanges cannot keep a grant alive. With
``openid`` in its scope (and in the subject token's), an ID token for the exchanging client
comes beside it, as Keycloak answers.
"""

import json
import logging
import uuid

from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase
from oauthlib.openid.connect.core.grant_types.base import GrantTypeBase as OpenIDGrantTypeBase

from authserver.protocol import bearer, scopes, stateless, token_exchange
from authserver.protocol.backend import REALM
from authserver.protocol.errors import InvalidRequest, InvalidToken, OAuthError

log = logging.getLogger(__name__)

# RFC 8707 allows several resource indicators; every other parameter appears at most once.
_REPEATABLE = {"resource"}
# One public description for every refused subject token; the reason goes to the log.
INVALID_SUBJECT = "the subject token is not valid"


class TokenExchangeGrant(GrantTypeBase):
    refresh_token = False

    def create_token_response(self, request, token_handler):
        """RFC 8693 §2.2.1: an access token and its ``issued_token_type``; never a refresh
        token (the subject token's client holds the grant's refresh token)."""
        headers = self._get_default_headers()
        try:
            self.validate_token_request(request)
        except oauthlib_errors.OAuth2Error as error:
            headers.update(error.headers)
            return headers, error.json, error.status_code
        token = token_handler.create_token(request, refresh_token=False)
        token["issued_token_type"] = token_exchange.ACCESS_TOKEN_TYPE
        for modifier in self._token_modifiers:
            token = modifier(token, token_handler, request)
        self.request_validator.save_token(token, request)
        log.info(
            "token exchange: client %s for audience %s",
            request.client.client_id,
            request.token_audiences[0],
        )
        return headers, json.dumps(token), 200

    def validate_token_request(self, request):
        """The checks of §2.1 in order; each refusal is one RFC error code."""
        for validator in self.custom_validators.pre_token:
            validator(request)
        if request.grant_type != token_exchange.GRANT_TYPE:
            raise oauthlib_errors.UnsupportedGrantTypeError(request=request)
        repeated = [name for name in request.duplicate_params if name not in _REPEATABLE]
        if repeated:
            raise oauthlib_errors.InvalidRequestError(
                description=f"parameter {sorted(repeated)[0]} is repeated", request=request
            )
        # The client must authenticate (RFC 8693 §2.1 relies on it); a public client cannot.
        self.validate_client_confidential(request)
        self.validate_grant_type(request)
        try:
            for check in _CHECKS:
                check(request)
        except OAuthError as error:
            raise _as_oauthlib(error, request) from None
        for validator in self.custom_validators.post_token:
            validator(request)


class OpenIDTokenExchangeGrant(OpenIDGrantTypeBase):
    """The exchange, with an ID token added when its scopes hold ``openid``, as oauthlib's
    OpenID refresh grant wraps the OAuth one."""

    def __init__(self, request_validator=None, **kwargs):
        self.proxy_target = TokenExchangeGrant(request_validator=request_validator, **kwargs)
        self.register_token_modifier(self.add_id_token)


def _param(request, name: str) -> str:
    """A form parameter of the request, "" when absent (oauthlib knows only its own names)."""
    return getattr(request, name, None) or ""


# --- the ordered checks; each reads the request and leaves what it found on it --------------
def _well_formed(request) -> None:
    token_exchange.check_subject_token(
        _param(request, "subject_token"), _param(request, "subject_token_type")
    )
    token_exchange.check_requested_token_type(_param(request, "requested_token_type"))
    token_exchange.check_no_actor_token(
        _param(request, "actor_token"), _param(request, "actor_token_type")
    )


def _subject_type_allowed(request) -> None:
    token_exchange.check_subject_token_type_allowed(
        request.client, _param(request, "subject_token_type")
    )


def _target(request) -> None:
    resources = [value for name, value in request.decoded_body or [] if name == "resource"]
    request.exchange_target = token_exchange.target([_param(request, "audience")], resources)
    # RFC 8707: a resource indicator is kept on the token record (django-oauth-toolkit checks
    # it is an absolute URI); a logical audience name is not a resource indicator.
    request.resource = [request.exchange_target] if resources else []


def _audience_allowed(request) -> None:
    token_exchange.check_audience_allowed(request.client, request.exchange_target)


def _subject(request) -> None:
    """The subject token, checked as UserInfo checks a bearer token (RFC 9068 §4, on record).
    One bound to a DPoP key is accepted without a proof of it: the client exchanging it is not
    the one that holds the key but the service it was sent to, which must be among its
    audiences (_subject_meant_for_client) and authenticate; the new token is bound to that
    client's own proof, if it sends one."""
    try:
        subject = bearer.live(request.headers[REALM], _param(request, "subject_token"))
    except InvalidToken as error:
        # RFC 8693 §2.2.2: an invalid or expired subject token is invalid_request.
        raise InvalidRequest(INVALID_SUBJECT, detail=error.detail) from None
    if subject.user is None:
        raise InvalidRequest(INVALID_SUBJECT, detail="subject token without a user")
    request.exchange_subject = subject


def _subject_meant_for_client(request) -> None:
    token_exchange.check_subject_meant_for(request.client, request.exchange_subject.claims)
    token_exchange.check_not_another_clients_own(
        request.client,
        request.exchange_subject.client.client_id,
        client_credentials=stateless.is_stateless(request.exchange_subject.claims),
    )


def _scopes(request) -> None:
    requested = scopes.parse(request.scope)
    exchange = token_exchange.scopes_for(
        request.client, request.exchange_target, requested, request.exchange_subject.scopes
    )
    request.scopes = list(exchange.scopes)
    request.token_audiences = [exchange.audience]


def _on_behalf_of_subject(request) -> None:
    """What the new token takes from the subject token: user, session, family, actor, expiry."""
    subject = request.exchange_subject
    request.user = subject.user
    request.sso_session = subject.session
    request.token_family = subject.token_family or uuid.uuid4()
    request.actor = token_exchange.actor_claim(request.client, subject.claims)
    request.expires_not_after = int(subject.claims["exp"])


_CHECKS = (
    _well_formed,
    _subject_type_allowed,
    _target,
    _audience_allowed,
    _subject,
    _subject_meant_for_client,
    _scopes,
    _on_behalf_of_subject,
)


def _as_oauthlib(error: OAuthError, request) -> oauthlib_errors.OAuth2Error:
    """Our typed error as oauthlib returns errors; the detail goes to the log only."""
    if error.detail:
        log.info("token exchange refused, %s: %s", error.error, error.detail)
    return oauthlib_errors.CustomOAuth2Error(
        error=error.error,
        description=error.description,
        status_code=error.status,
        request=request,
    )
