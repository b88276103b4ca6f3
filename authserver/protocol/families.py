"""Token families: one row per grant, updated in place as its refresh token rotates.

A code exchange (or a password grant) starts a family: one ``RefreshToken`` row holding the
SHA-256 of the family's current refresh token, its ``jti`` (``<family>.<generation>``), the SSO
session, whether it is offline, and its expiry. A refresh replaces the checksum, ``jti`` and
expiry of that row in one conditional UPDATE: of two refreshes with the same token exactly one
matches. A refresh token that is no longer the family's current one, yet signed by us for this
client, is a replay (RFC 9700 §4.14.2): the family is revoked.

The access tokens of the family are not stored: their signed ``jti`` names the family
(``fa:<family>:<random>``), and a token is live while its family's row is unrevoked, its user
active, its client enabled and, unless the family is offline, its SSO session live. So what
ends a family (a replayed code or refresh token, revocation, logout, a withdrawn consent) ends
its access tokens in every process at once: there is nothing cached to forget.
"""

import secrets
import uuid

from django.db import connection
from django.utils import timezone

from accounts import rows
from accounts.models import Realm, UserSession
from authserver.models import Client, Grant, RefreshToken

# Only we sign, so a signed jti with this prefix is ours to trust (as stateless.JTI_PREFIX).
ACCESS_JTI_PREFIX = "fa:"
# The grants whose tokens belong to a family row; token exchange keeps a row per token.
GRANTS = frozenset(
    {
        "authorization_code",
        "refresh_token",
        "password",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
)
# A refresh writes its family's row with one conditional UPDATE, atomic by itself; a replay's
# revocation has its own transaction. A code exchange claims its code and writes the family in
# one statement on PostgreSQL (``start``), in two elsewhere.
WITHOUT_TRANSACTION = frozenset({"refresh_token"})
WITHOUT_TRANSACTION_ON_POSTGRESQL = frozenset({"refresh_token", "authorization_code"})
# A session's last_seen is written by a refresh at most this often (and at most every tenth of
# its idle timeout): many clients refreshing on one session would otherwise queue on its row.
LAST_SEEN_RESOLUTION_SECONDS = 30


def access_jti(family) -> str:
    return f"{ACCESS_JTI_PREFIX}{family}:{secrets.token_hex(8)}"


def family_of_access(claims: dict) -> uuid.UUID | None:
    """The family an access token's signed ``jti`` names, or None (a stored or stateless one)."""
    jti = str(claims.get("jti", ""))
    if not jti.startswith(ACCESS_JTI_PREFIX):
        return None
    return _uuid(jti[len(ACCESS_JTI_PREFIX) :].partition(":")[0])


def refresh_jti(family, previous_jti: str | None) -> str:
    """The ``jti`` of the family's next refresh token: its family and generation."""
    generation = _generation(previous_jti) + 1 if previous_jti else 0
    return f"{family}.{generation}"


def family_of_refresh(claims: dict) -> uuid.UUID | None:
    family, dot, _ = str(claims.get("jti", "")).partition(".")
    return _uuid(family) if dot else None


def _generation(jti: str) -> int:
    _, _, generation = jti.partition(".")
    return int(generation) if generation.isdecimal() else 0


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


_CURRENT = rows.JoinedSelect(
    RefreshToken, ("user", "session"), "a.token_checksum = %s AND a.revoked IS NULL"
)
_ROTATE = (
    "UPDATE {table} SET token_checksum = %s, jti = %s, expires = %s, updated = %s"
    " WHERE id = %s AND token_checksum = %s AND revoked IS NULL"
)


def current(checksum: str) -> RefreshToken | None:
    """The unrevoked row whose current refresh token has this SHA-256, with user and session."""
    return _CURRENT.one([checksum])


def rotate(record: RefreshToken, *, checksum: str, jti: str, expires) -> bool:
    """Make ``checksum`` the family's current refresh token, if ``record``'s token still is (of
    two concurrent refreshes with one token, exactly one wins)."""
    now = rows.value(RefreshToken, "updated", timezone.now())
    expires = rows.value(RefreshToken, "expires", expires)
    sql = _ROTATE.format(table=rows.table(RefreshToken))
    return bool(rows.execute(sql, [checksum, jti, expires, now, record.pk, record.token_checksum]))


def without_transaction(grant_type: str) -> bool:
    """Whether a token request of this grant writes what it writes atomically by itself, so
    that a transaction (its BEGIN and COMMIT: two round trips) would add nothing."""
    if connection.vendor == "postgresql":
        return grant_type in WITHOUT_TRANSACTION_ON_POSTGRESQL
    return grant_type in WITHOUT_TRANSACTION


_CLAIM = "UPDATE {table} SET used_at = %s WHERE id = %s AND used_at IS NULL"


def claim(code: Grant) -> bool:
    """Mark ``code`` used, if it was not (of two concurrent claims exactly one wins)."""
    now = rows.value(Grant, "used_at", timezone.now())
    return bool(rows.execute(_CLAIM.format(table=rows.table(Grant)), [now, code.pk]))


def start(record: RefreshToken, code: Grant) -> bool:
    """Claim ``code`` and write ``record``, the family it starts; False, and nothing written,
    if the code was claimed already (a replay, or a concurrent exchange that won).

    On PostgreSQL one statement: the INSERT reads the claim's RETURNING, so it writes a row
    only if the claim changed one, and both or neither happen. Elsewhere the claim and the
    INSERT run in the caller's transaction."""
    if connection.vendor != "postgresql":
        if not claim(code):
            return False
        rows.insert(record)
        return True
    now = rows.value(Grant, "used_at", timezone.now())
    claimed = _CLAIM.format(table=rows.table(Grant)) + " RETURNING 1"
    return bool(rows.insert(record, after=(claimed, [now, code.pk])))


def touch(session: UserSession, now) -> None:
    """A client refreshing its tokens keeps the user's session from idling out, as in Keycloak
    (its max lifespan still ends it); written only when it is worth a write."""
    resolution = min(LAST_SEEN_RESOLUTION_SECONDS, session.realm.sso_session_idle_timeout / 10)
    if (now - session.last_seen).total_seconds() < resolution:
        return
    UserSession.objects.filter(pk=session.pk).update(last_seen=now)
    session.last_seen = now


# Of the user and session, what a bearer token's holders read (the checks, UserInfo's claims,
# the admin API's flags, the session's sid and amr); the rest (the password hash, the login's
# bookkeeping, the browser's address) is left deferred: read, one query each, only if used.
# The row is found by its family alone and its client compared after: with the client's id in
# the WHERE, PostgreSQL without statistics on the table (before its first ANALYZE, or with
# autovacuum off) ANDs the family's index with the client's, and reads an index entry for
# every family of the client on each lookup.
_LIVE = rows.JoinedSelect(
    RefreshToken,
    ("user", "session"),
    "a.token_family = %s AND a.revoked IS NULL",
    only=("application", "token_family", "offline", "user", "session"),
    deferred={
        "user": (
            "password",
            "last_login",
            "password_temporary",
            "required_actions",
            "failed_logins",
            "last_failed_login",
            "date_joined",
        ),
        "session": ("key_hash", "ip_address", "user_agent"),
    },
)


def live(realm: Realm, client: Client, family: uuid.UUID) -> RefreshToken | None:
    """The unrevoked row of ``client``'s family, with user and session; None once it ended."""
    record = _LIVE.one([rows.value(RefreshToken, "token_family", family)])
    if record is None or record.application_id != client.pk:
        return None
    record.application = client
    if record.session is not None:
        record.session.realm = realm
    return record
