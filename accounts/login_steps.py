"""A login between the password and the session: the second factor, then the required actions.

The state lives in the Django session for a few minutes: which user, where to go after, and
what the user has shown so far (RFC 8176 ``amr`` values). It is never kept under a session key
from before the password was right (session fixation): a browser that had a session gets a new
key when the login begins; one that had none gets one only if the login goes on to another
page, from the session middleware at the end of the request. A login that completes in one
request (no second factor, no required action: most of them) so writes no Django session at
all, and the one that ends a longer login is deleted with its cookie (``finish``). Nothing here
answers HTTP; the views of accounts.step_views do.
"""

import functools
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.utils import timezone

from accounts import passkeys, required_actions, rows
from accounts.models import OTPDevice, Passkey, Realm, User

_KEY = "accounts.login"
# Time enough to find a phone and scan a code.
_SECONDS = 600
PASSWORD = "pwd"
OTP = "otp"
# RFC 8176 "hwk" and "swk": a key held by an authenticator (a passkey; "swk" when it may be
# synced to the user's other devices). A passwordless sign-in shows one with user
# verification, which is two factors on its own (what the user has, and their PIN or
# biometric): its session counts as multi-factor, as Keycloak counts it.
HARDWARE_KEY = passkeys.HARDWARE_KEY
SOFTWARE_KEY = passkeys.SOFTWARE_KEY
SECOND_FACTORS = frozenset({OTP, HARDWARE_KEY, SOFTWARE_KEY})
# acr_values (OIDC Core §3.1.2.1) that ask for a second factor: Keycloak's level "2", or "mfa".
TWO_FACTOR_ACR_VALUES = frozenset({"2", "mfa"})

# The page (a URL name of the accounts app) of each step.
SECOND_FACTOR = "login-otp"
PASSKEY = "login-passkey"
_ACTION_PAGES = {
    required_actions.TERMS_AND_CONDITIONS: "login-terms",
    required_actions.UPDATE_PASSWORD: "update-password",
    required_actions.CONFIGURE_TOTP: "login-configure-totp",
    required_actions.UPDATE_PROFILE: "login-update-profile",
    required_actions.VERIFY_EMAIL: "login-verify-email",
    required_actions.WEBAUTHN_REGISTER: "login-webauthn-register",
    required_actions.WEBAUTHN_REGISTER_PASSWORDLESS: "login-webauthn-register-passwordless",
}


@dataclass
class Pending:
    user: User
    next_url: str
    amr: list[str] = field(default_factory=list)
    # An enrolment under way (CONFIGURE_TOTP): the unconfirmed device's id.
    enrolling: int | None = None
    # The authorization request asked for a second factor (step-up).
    second_factor: bool = False
    # VERIFY_EMAIL: the link was mailed during this login.
    verification_sent: bool = False
    # Begun by a mailed link (execute-actions-email), not a password: the required actions
    # run, and no session follows.
    by_mail: bool = False


def asks_second_factor(next_url: str) -> bool:
    """Whether the authorization request the login returns to asks for a second factor. The
    authorization endpoint checks the session's factors again, so this only makes the login
    ask for the code (or an enrolment), never lets one be skipped."""
    values = parse_qs(urlsplit(next_url).query).get("acr_values", [""])[0].split()
    return not TWO_FACTOR_ACR_VALUES.isdisjoint(values)


def begin(
    request, user: User, next_url: str, *, by_mail: bool = False, amr: list[str] | None = None
) -> Pending:
    """The password was right (or, ``by_mail``, a mailed link was followed; or ``amr`` says
    what else signed the user in, a passwordless passkey): start the rest of the login, under a
    session key made for it."""
    if request.session.session_key is not None:
        request.session.cycle_key()
    state = {
        "user": user.pk,
        "realm": user.realm_id,
        "next": next_url,
        "at": timezone.now().timestamp(),
        "by_mail": by_mail,
        "amr": list(amr) if amr is not None else [] if by_mail else [PASSWORD],
        "enrolling": None,
        "second_factor": asks_second_factor(next_url),
    }
    request.session[_KEY] = state
    return Pending(
        user, next_url, list(state["amr"]), second_factor=state["second_factor"], by_mail=by_mail
    )


def current(request, realm: Realm) -> Pending | None:
    state = request.session.get(_KEY)
    if not state or state.get("realm") != realm.pk:
        return None
    if timezone.now().timestamp() - state["at"] > _SECONDS:
        return None
    user = (
        User.objects.select_related("realm")
        .filter(pk=state["user"], realm=realm, is_active=True)
        .first()
    )
    if user is None:
        return None
    return Pending(
        user,
        state["next"],
        list(state["amr"]),
        state.get("enrolling"),
        state.get("second_factor", False),
        state.get("verification_sent", False),
        state.get("by_mail", False),
    )


def save(request, pending: Pending) -> None:
    state = request.session[_KEY]
    state.update(
        amr=pending.amr,
        enrolling=pending.enrolling,
        verification_sent=pending.verification_sent,
    )
    request.session[_KEY] = state


def finish(request) -> None:
    """The login is over: its state goes, and with it the session if nothing else is in it
    (its row and cookie deleted; none is written); otherwise the rest moves to a new key."""
    request.session.pop(_KEY, None)
    if request.session.keys():
        request.session.cycle_key()
    else:
        request.session.flush()


def next_page(pending: Pending) -> str | None:
    """The URL name of the next step, or None when the login may complete."""
    user = pending.user
    if SECOND_FACTORS.isdisjoint(pending.amr) and not pending.by_mail:
        has_device, has_passkey = _second_factors(user)
        if has_device:
            return SECOND_FACTOR
        if has_passkey:
            return PASSKEY
        if pending.second_factor:
            return _ACTION_PAGES[required_actions.CONFIGURE_TOTP]
    for action in required_actions.due(user):
        page = _ACTION_PAGES.get(action)
        if page is not None:
            return page
    return None


def _second_factors(user: User) -> tuple[bool, bool]:
    """Whether ``user`` has a confirmed authenticator (otp.has_device) and a passkey
    (passkeys.has_passkey), in one statement built once. Every login asks, right after the
    password hash has left the processor's caches cold: the ORM's two queries cost 1.8 ms of
    CPU there, this one 0.4 ms."""
    with rows.cursor() as cursor:
        cursor.execute(_second_factors_sql(), [user.pk, user.pk])
        has_device, has_passkey = cursor.fetchone()
    return bool(has_device), bool(has_passkey)


@functools.cache
def _second_factors_sql() -> str:
    quote = connection.ops.quote_name
    device_user = OTPDevice._meta.get_field("user").column
    confirmed = OTPDevice._meta.get_field("confirmed").column
    passkey_user = Passkey._meta.get_field("user").column
    # A passwordless passkey is not asked for after the password (passkeys.has_passkey).
    passwordless = Passkey._meta.get_field("passwordless").column
    # Names from the models' metadata; the values are parameters.
    return (
        f"SELECT EXISTS (SELECT 1 FROM {quote(OTPDevice._meta.db_table)}"  # noqa: S608
        f" WHERE {quote(device_user)} = %s AND {quote(confirmed)}),"
        f" EXISTS (SELECT 1 FROM {quote(Passkey._meta.db_table)}"
        f" WHERE {quote(passkey_user)} = %s AND NOT {quote(passwordless)})"
    )
