"""Keycloak's logout by refresh token: a client POSTs one of its refresh tokens to the logout
endpoint (no browser, no redirect) and the SSO session that token belongs to ends, with every
token it issued (Keycloak's ``LogoutEndpoint.logoutToken``; answered 204).

An offline token (Keycloak's offline session) ends its own grant: its family is revoked. A token
whose session has already ended is accepted all the same, as Keycloak does: the logout it asks
for has happened. Plain values in, typed errors out.
"""

import logging

from django.utils.crypto import constant_time_compare

from accounts import sessions
from authserver.models import Client, RefreshToken
from authserver.protocol import certificate_binding, dpop, jwt
from authserver.protocol.errors import InvalidDPoPProof, InvalidGrant, InvalidRequest
from authserver.protocol.validator import digest

log = logging.getLogger(__name__)


def logout(
    client: Client, refresh_token: str | None, *, proof: str | None = None, environ=None
) -> None:
    """End the session of ``refresh_token``, one of ``client``'s own (already authenticated),
    presented on the request of WSGI ``environ``. A refresh token bound to a DPoP key (a public
    client's, RFC 9449 §5) needs ``proof`` of it, one bound to a certificate (RFC 8705 §4) that
    certificate, as a refresh does: a thief of the token cannot log its user out."""
    if not refresh_token:
        raise InvalidRequest("refresh_token is required")
    record = _record(client, refresh_token)
    _check_binding(client, refresh_token, proof)
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


def _check_binding(client: Client, refresh_token: str, proof: str | None) -> None:
    # The token's exact text is on record: its claims are the ones we signed.
    bound = dpop.bound_key(jwt.unverified_claims(refresh_token) or {})
    if bound is None:
        return
    realm = client.realm
    checked = dpop.check_proof(
        realm,
        proof,
        method="POST",
        url=dpop.endpoint(realm, "logout"),
        nonce_required=dpop.nonce_required(client),
    )
    if not constant_time_compare(bound, checked.jkt):
        raise InvalidDPoPProof(
            "the DPoP proof's key is not the one the refresh token is bound to",
            detail="logout: refresh token bound to another key",
        )
