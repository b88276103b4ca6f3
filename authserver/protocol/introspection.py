"""Token introspection (RFC 7662): whether a token of this realm is live, and what it says.

Any authenticated client of the realm may introspect access tokens (resource servers do, for
tokens issued to other clients). A refresh token is only ever held by its own client, so only
that client learns anything about it. Whatever the reason a token is not live (unknown,
revoked, expired, another realm's, garbage, another client's refresh token), the answer is the
same ``{"active": false}`` (§2.2) and the reason goes to the log.
"""

import logging

from django.utils import timezone

from accounts.models import Realm
from authserver.models import Client, RefreshToken
from authserver.protocol import bearer, dpop, jwt
from authserver.protocol.errors import InvalidRequest, InvalidToken
from authserver.protocol.validator import digest, refresh_refusal

log = logging.getLogger(__name__)

INACTIVE = {"active": False}
REFRESH_TYPES = {"Refresh", "Offline"}


def introspect(realm: Realm, client: Client, token: str | None, *, hint: str | None) -> dict:
    """RFC 7662 §2.2. ``hint`` (§2.1 token_type_hint) only decides which kind is tried first."""
    if not token:
        raise InvalidRequest("token is required")
    lookups = [_access_token, _refresh_token]
    if hint == "refresh_token":
        lookups.reverse()
    for lookup in lookups:
        found = lookup(realm, client, token)
        if found is not None:
            return {**found, "active": True}
    return dict(INACTIVE)


def _access_token(realm: Realm, client: Client, token: str) -> dict | None:
    try:
        live = bearer.live(realm, token)
    except InvalidToken as error:
        log.info("introspection by %s: %s", client.client_id, error.detail)
        return None
    claims = live.claims
    return _without_empty(
        {
            **claims,
            "client_id": claims.get("client_id") or live.client.client_id,
            "username": claims.get("preferred_username"),
            # RFC 9449 §6.2: a bound token says so, its cnf among its claims.
            "token_type": dpop.TOKEN_TYPE if dpop.bound_key(claims) else "Bearer",
        }
    )


def _refresh_token(realm: Realm, client: Client, token: str) -> dict | None:
    """Live by its record, as at the token endpoint (jwt.recorded_claims)."""
    if (jwt.unverified_claims(token) or {}).get("typ") not in REFRESH_TYPES:
        return None
    record = (
        RefreshToken.objects.select_related("user", "application", "session__realm")
        .filter(token_checksum=digest(token), application=client, revoked__isnull=True)
        .first()
    )
    reason = refresh_refusal(record, timezone.now())
    if reason is None:
        try:
            claims = jwt.recorded_claims(realm, token)
        except jwt.BadToken as error:
            reason = str(error)
    if reason:
        log.info("introspection by %s: refresh token refused: %s", client.client_id, reason)
        return None
    return _without_empty(
        {
            **claims,
            "client_id": record.application.client_id,
            "username": record.user.username,
            "token_type": "Refresh",
        }
    )


def _without_empty(claims: dict) -> dict:
    return {name: value for name, value in claims.items() if value not in (None, "")}
