"""Bearer access tokens presented to us (RFC 6750): where one may travel, and whether it is good.

Good means our JWT (RFC 9068 §4: signature against the realm's published keys, ``iss``,
``exp``, ``typ: at+jwt``) and still live: a stored token must still be on record (revocation and
logout delete the record), a stateless one (protocol/stateless.py) must not be denied. So a
token whose signature is fine may still be refused.
"""

import logging
import re
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Realm, User, UserSession
from authserver.models import AccessToken, Client
from authserver.protocol import certificate_binding, directory, families, jwt, stateless
from authserver.protocol.errors import InvalidRequest, InvalidToken
from authserver.protocol.validator import digest

log = logging.getLogger(__name__)

# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
_AUTHORIZATION = re.compile(r"bearer +([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
# One public description for every refusal; the reason goes to the log.
INVALID = "the access token is not valid"


@dataclass(frozen=True)
class Bearer:
    claims: dict
    client: Client
    user: User | None
    session: UserSession | None = None
    token_family: object = None

    @property
    def scopes(self) -> set[str]:
        return set(str(self.claims.get("scope", "")).split())


def token_from(*, authorization: str | None, form_values: list[str]) -> str | None:
    """The token of a request: in the Authorization header (RFC 6750 §2.1) or the form body
    (§2.2), never in the URL (§2.3 is not supported); None when there is none.

    A request using more than one method is invalid (§2); so is a malformed Bearer header.
    """
    header = _from_header(authorization)
    form_values = [value for value in form_values if value]  # RFC 6749 §3.1: empty = omitted
    if len(form_values) > 1:
        raise InvalidRequest("access_token is repeated")
    if header is not None and form_values:
        raise InvalidRequest("send the access token in one place only")
    return header if header is not None else next(iter(form_values), None)


def _from_header(authorization: str | None) -> str | None:
    if not authorization or not authorization.lower().startswith("bearer"):
        return None  # no credentials, or another scheme's: the client did not try Bearer
    matched = _AUTHORIZATION.fullmatch(authorization.strip())
    if matched is None:
        raise InvalidRequest("malformed Bearer credentials")
    return matched.group(1)


def authenticate(realm: Realm, token: str) -> Bearer:
    """The realm's live access token ``token``; InvalidToken otherwise (RFC 6750 §3.1)."""
    try:
        claims = jwt.verify(realm, token, typ=jwt.ACCESS_TOKEN_TYPE)
    except jwt.BadToken as error:
        raise InvalidToken(INVALID, detail=f"access token refused: {error}") from None
    if stateless.is_stateless(claims):
        return _stateless(realm, claims)
    family = families.family_of_access(claims)
    if family is not None:
        return _of_family(realm, claims, family)
    record = _record(realm, claims, token)
    for check in _CHECKS:
        reason = check(record)
        if reason:
            raise InvalidToken(INVALID, detail=f"access token refused: {reason}")
    return Bearer(
        claims=claims,
        client=record.application,
        user=record.user,
        session=record.session,
        token_family=record.token_family,
    )


def authenticate_presented(realm: Realm, token: str, environ) -> Bearer:
    """``authenticate`` for a token its holder presents to us (UserInfo, the account and admin
    APIs): a token bound to a certificate is good only over a connection with that certificate
    (RFC 8705 §3), found in the request's WSGI ``environ``."""
    holder = authenticate(realm, token)
    certificate_binding.check_presenter(holder.claims, environ)
    return holder


def _stateless(realm: Realm, claims: dict) -> Bearer:
    reason, client = stateless.refusal(realm, claims)
    if reason:
        raise InvalidToken(INVALID, detail=f"access token refused: {reason}")
    return Bearer(claims=claims, client=client, user=client.service_account)


def _of_family(realm: Realm, claims: dict, family) -> Bearer:
    """A token of a family (protocol/families.py): live while its family is."""
    client = directory.client(realm, str(claims.get("client_id", "")))
    record = families.live(realm, client, family) if client is not None else None
    # Our own clock issued it: no leeway on its expiry, as for a stored token.
    reason = "expired" if claims["exp"] <= timezone.now().timestamp() else None
    for check in _FAMILY_CHECKS:
        reason = reason or check(record)
    if reason:
        raise InvalidToken(INVALID, detail=f"access token refused: {reason}")
    return Bearer(
        claims=claims,
        client=client,
        user=record.user,
        session=record.session,
        token_family=family,
    )


# Of the row, what the checks and callers read: the rest of its columns would only cost the
# ORM time to select and convert.
_UNREAD = (
    "token",
    "scope",
    "resource",
    "created",
    "updated",
    "jti",
    "id_token",
    "source_refresh_token",
)


def _record(realm: Realm, claims: dict, token: str) -> AccessToken | None:
    """The token's row, with its user and session; its client comes from this process's
    directory (by the signed ``client_id``) and its session's realm is the token's."""
    try:
        record = (
            AccessToken.objects.select_related("user", "session")
            .defer(*_UNREAD)
            .get(token_checksum=digest(token))
        )
    except AccessToken.DoesNotExist:
        return None
    client = directory.client(realm, str(claims.get("client_id", "")))
    if client is None or record.application_id != client.pk:
        return None  # another realm's or client's row, or a client since disabled or removed
    record.application = client
    if record.session is not None:
        record.session.realm = realm
    return record


def _on_record(record: AccessToken | None) -> str | None:
    return "revoked or unknown" if record is None else None


def _unexpired(record: AccessToken) -> str | None:
    return "expired" if record.is_expired() else None


def _client_enabled(record: AccessToken) -> str | None:
    client = record.application
    return "its client is disabled" if client is None or not client.enabled else None


def _user_enabled(record: AccessToken) -> str | None:
    user = record.user
    return "its user is disabled" if user is not None and not user.is_active else None


def _session_live(record: AccessToken) -> str | None:
    session = record.session
    if session is not None and not session.is_live(timezone.now()):
        return "its SSO session has ended"
    return None


def _family_session_live(record) -> str | None:
    """An offline family outlives its session (Keycloak's offline session); others end with
    it (sessions are ended, never deleted: a family without one never had one)."""
    return None if record.offline else _session_live(record)


# The order in which a token is refused, each check naming its reason.
_CHECKS = (_on_record, _unexpired, _client_enabled, _user_enabled, _session_live)
_FAMILY_CHECKS = (_on_record, _user_enabled, _family_session_live)
