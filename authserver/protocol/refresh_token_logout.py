"""Keycloak's logout by refresh token: a client POSTs one of its refresh tokens to the logout
endpoint (no browser, no redirect) and the SSO session that token belongs to ends, with every
token it issued (Keycloak's ``LogoutEndpoint.logoutToken``; answered 204).

An offline token (Keycloak's offline session) ends its own grant: its family is revoked. A token
whose session has already ended is accepted all the same, as Keycloak does: the logout it asks
for has happened. Plain values in, typed errors out.
"""

import logging

from accounts import sessions
from authserver.models import Client, RefreshToken
from authserver.protocol import certificate_binding, jwt
from authserver.protocol.errors import InvalidGrant, InvalidRequest
from authserver.protocol.validator import digest

log = logging.getLogger(__name__)


def logout(client: Client, refresh_token: str | None, *, environ=None) -> None:
    """End the session of ``refresh_token``, one of ``client``'s own (already authenticated),
    presented on the request of WSGI ``environ`` (a public client's refresh token bound to a
    certificate is good only with it, RFC 8705 §4)."""
    if not refresh_token:
        raise InvalidRequest("refresh_token is required")
    record = _record(client, refresh_token)
    # Its record is found by the SHA-256 of the whole token: the claims read are those we signed.
    reason = certificate_binding.presenter_refusal(
        jwt.unverified_claims(refresh_token) or {}, environ or {}
    )
    if reason:
        raise InvalidGrant("invalid refresh token", detail=f"refresh token refused: {reason}")
    if record.offline or record.session is None:
        if record.token_family is not None:
            RefreshToken.revoke_family(record.token_family)
        else:
            record.revoke()
        log.info("logout: %s ended a grant by its refresh token", client.client_id)
        return
    record.session.realm = client.realm
    sessions.terminate(record.session)
    log.info("logout: %s ended an SSO session by its refresh token", client.client_id)


def _record(client: Client, refresh_token: str) -> RefreshToken:
    """The token's record, if it is one of ``client``'s in its realm; one generic
    invalid_grant for anything else (unknown, malformed, another client's)."""
    claims = jwt.unverified_claims(refresh_token)
    if claims is None or claims.get("iss") != client.realm.issuer:
        raise InvalidGrant("invalid refresh token", detail="not a refresh token of this realm")
    record = (
        RefreshToken.objects.select_related("session")
        .filter(token_checksum=digest(refresh_token), application=client)
        .first()
    )
    if record is None:
        raise InvalidGrant(
            "invalid refresh token",
            detail=f"no refresh token of {client.client_id} with this value",
        )
    return record
