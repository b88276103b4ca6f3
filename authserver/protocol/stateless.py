"""Stateless access tokens: what the client-credentials grant issues.

A client-credentials token has no user session, no refresh token and no consent to end it, so
nothing but revocation (RFC 7009) and its client's state can take it back before it expires.
Writing a row per token would make every machine-to-machine request pay an INSERT and a
transaction for that rare case. Instead, as Keycloak does with its transient sessions, the token
is not stored: its signed ``jti`` says it is stateless, and a revocation records that ``jti`` in
a denylist (authserver.models.RevokedToken) until the token would have expired.

Checked against it the same way as a stored token: by introspection (RFC 7662), UserInfo, the
admin API and token exchange, all through protocol/bearer.py. Its client must still exist and be
enabled, with the service account on, its user active and still the token's ``sub`` (this
process's directory, so another process notices within the directory's few seconds). Resource
servers that validate tokens locally cannot see a revocation either way, stored or not.
"""

import logging
import uuid
from datetime import UTC, datetime

from django.utils import timezone

from accounts.models import Realm
from authserver.models import Client, RevokedToken
from authserver.protocol import directory

log = logging.getLogger(__name__)

# Grants whose tokens are stateless; their token requests need no transaction.
GRANTS = frozenset({"client_credentials"})
# Only we sign, so a signed jti with this prefix is ours to trust.
JTI_PREFIX = "cc:"


def new_jti(grant_type: str) -> str:
    jti = str(uuid.uuid4())
    return JTI_PREFIX + jti if grant_type in GRANTS else jti


def is_stateless(claims: dict) -> bool:
    return str(claims.get("jti", "")).startswith(JTI_PREFIX)


def refusal(realm: Realm, claims: dict) -> tuple[str | None, Client | None]:
    """Why a verified stateless token is not live (or None), and its client."""
    # Our own clock issued it: no leeway on its expiry, as for a stored token.
    if claims["exp"] <= timezone.now().timestamp():
        return "expired", None
    client = directory.client(realm, str(claims.get("client_id", "")))
    if client is None:
        return "its client is disabled or gone", None
    if not client.service_accounts_enabled or client.service_account is None:
        return "its client has no service account any more", client
    if not client.service_account.is_active:
        return "its user is disabled", client
    # The client is found by its client_id, which an administrator may rename or reuse: the
    # signed subject must still be this client's own service account.
    if str(claims.get("sub", "")) != str(client.service_account.subject):
        return "its client_id now names another client", client
    if RevokedToken.objects.filter(realm=realm, jti=claims["jti"]).exists():
        return "revoked", client
    return None, client


def revoke(realm: Realm, client: Client, claims: dict) -> None:
    """RFC 7009 §2.1 for a stateless token of ``client``: denied until it expires. Another
    client's token is ignored (§2.2: the answer is the same). Expired entries are swept here,
    the one place that adds entries."""
    if claims.get("client_id") != client.client_id:
        log.info("revocation: %s sent another client's token; ignored", client.client_id)
        return
    now = timezone.now()
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    RevokedToken.objects.filter(expires__lt=now).delete()
    if expires <= now:
        return
    RevokedToken.objects.bulk_create(
        [RevokedToken(realm=realm, jti=claims["jti"], client_id=client.client_id, expires=expires)],
        ignore_conflicts=True,
    )
    log.info("revocation: a stateless token of %s", client.client_id)
