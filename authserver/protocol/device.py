"""The device authorization grant (RFC 8628), for clients that turn it on (Keycloak's client
attribute ``oauth2.device.authorization.grant.enabled``): TVs, consoles, command-line tools.

``start`` answers a device authorization request (§3.2); the user then types the user code on
the realm's device page, signed in, and allows or denies (``pending``, ``decide``); the device
polls the token endpoint meanwhile (``poll``, §3.4-3.5), no faster than ``interval``. Codes are
kept as their SHA-256 only; a user code is eight letters of an alphabet without vowels or look-
alikes (§6.1), guessed at a rate the device page limits. Plain values in, typed errors out.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import Realm, User, UserSession
from authserver.models import Client, DeviceAuthorization
from authserver.protocol import scopes
from authserver.protocol.errors import InvalidRequest, UnauthorizedClient

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
ATTRIBUTE = "oauth2.device.authorization.grant.enabled"
# Keycloak's defaults: ten minutes to decide, a poll every five seconds.
LIFETIME_SECONDS = 600
INTERVAL_SECONDS = 5
SLOW_DOWN_SECONDS = 5
# §6.1: no vowels (no words), no look-alikes; 20^8 codes, about 34 bits.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8

AUTHORIZED, PENDING, SLOW_DOWN, EXPIRED, DENIED = (
    "authorized",
    "authorization_pending",
    "slow_down",
    "expired_token",
    "access_denied",
)


def enabled(client: Client) -> bool:
    attributes = client.attributes if isinstance(client.attributes, dict) else {}
    return str(attributes.get(ATTRIBUTE, "false")).lower() == "true"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalized_user_code(typed: str) -> str:
    """What the user typed, as the code is kept: upper case, letters only (§6.1: the dash and
    spaces are the user's to type or not)."""
    return "".join(character for character in typed.upper() if character.isalpha())[:64]


def verification_uri(realm: Realm) -> str:
    return f"{realm.issuer}/device"


@dataclass(frozen=True)
class Started:
    device_code: str
    user_code: str
    body: dict


def start(realm: Realm, client: Client, scope: str | None) -> Started:
    """§3.1-3.2: the codes for a device authorization request of ``client`` (authenticated, or
    named by a public client); InvalidScope and UnauthorizedClient otherwise."""
    if not enabled(client) or client.bearer_only:
        raise UnauthorizedClient("The device authorization grant is not enabled for this client.")
    granted = scopes.grant(client, scopes.parse(scope))
    device_code = secrets.token_urlsafe(32)
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    user_code = f"{letters[:4]}-{letters[4:]}"
    now = timezone.now()
    DeviceAuthorization.objects.filter(expires__lte=now).delete()
    DeviceAuthorization.objects.create(
        client=client,
        device_code_hash=_digest(device_code),
        user_code_hash=_digest(letters),
        scope=" ".join(sorted(granted.names)),
        expires=now + timedelta(seconds=LIFETIME_SECONDS),
        interval=INTERVAL_SECONDS,
    )
    uri = verification_uri(realm)
    body = {
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": uri,
        "verification_uri_complete": f"{uri}?user_code={user_code}",
        "expires_in": LIFETIME_SECONDS,
        "interval": INTERVAL_SECONDS,
    }
    return Started(device_code, user_code, body)


def pending(realm: Realm, typed: str) -> DeviceAuthorization | None:
    """The realm's undecided, unexpired request whose user code this is, or None."""
    code = normalized_user_code(typed)
    if len(code) != USER_CODE_LENGTH:
        return None
    return (
        DeviceAuthorization.objects.select_related("client")
        .filter(
            user_code_hash=_digest(code),
            client__realm=realm,
            client__enabled=True,
            status=DeviceAuthorization.Status.PENDING,
            expires__gt=timezone.now(),
        )
        .first()
    )


def decide(authorization: DeviceAuthorization, user: User, session: UserSession, *, allow: bool):
    """The signed-in user's answer; only a pending request changes (a second answer does not)."""
    status = DeviceAuthorization.Status.APPROVED if allow else DeviceAuthorization.Status.DENIED
    changed = DeviceAuthorization.objects.filter(
        pk=authorization.pk, status=DeviceAuthorization.Status.PENDING
    ).update(status=status, user=user, session=session)
    if not changed:
        raise InvalidRequest("This request has been answered already.")


def poll(client: Client, device_code: str, request) -> str | None:
    """§3.5: where ``client``'s request stands, one of the statuses above, or None for a device
    code that is unknown or another client's. An approved request is spent by the poll that
    gets its tokens: ``request.user``, ``request.scopes`` and the session are set for them."""
    found = (
        DeviceAuthorization.objects.select_related("user", "session")
        .filter(device_code_hash=_digest(device_code or ""), client=client)
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    if found.expires <= now:
        found.delete()
        return EXPIRED
    if found.status == DeviceAuthorization.Status.DENIED:
        found.delete()
        return DENIED
    if found.status == DeviceAuthorization.Status.PENDING:
        too_soon = found.last_poll and (now - found.last_poll).total_seconds() < found.interval
        updates = {"last_poll": now}
        if too_soon:
            updates["interval"] = F("interval") + SLOW_DOWN_SECONDS
        DeviceAuthorization.objects.filter(pk=found.pk).update(**updates)
        return SLOW_DOWN if too_soon else PENDING
    # Approved: the first poll to delete it gets the tokens; a concurrent one finds nothing.
    if not DeviceAuthorization.objects.filter(pk=found.pk).delete()[0]:
        return None
    session = found.session
    if session is None or session.ended is not None or not found.user.is_active:
        return DENIED
    session.realm = client.realm
    request.user = found.user
    request.scopes = found.scope.split()
    request.sso_session = session
    return AUTHORIZED
