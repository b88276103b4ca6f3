"""Keycloak's required actions: what a user must do at the next login before it completes.

TERMS_AND_CONDITIONS, UPDATE_PASSWORD, CONFIGURE_TOTP, UPDATE_PROFILE, VERIFY_EMAIL, and the
passkey enrolments webauthn-register and webauthn-register-passwordless (Keycloak's aliases).

UPDATE_PASSWORD is the user's temporary password (``password_temporary``); the others are kept
in ``User.required_actions``. CONFIGURE_TOTP is due too when the realm requires OTP and the user
has no authenticator; VERIFY_EMAIL when the realm's ``verifyEmail`` is on and the user's address
is not verified.
"""

from accounts import otp
from accounts.models import User

UPDATE_PASSWORD = "UPDATE_PASSWORD"
CONFIGURE_TOTP = "CONFIGURE_TOTP"
VERIFY_EMAIL = "VERIFY_EMAIL"
UPDATE_PROFILE = "UPDATE_PROFILE"
TERMS_AND_CONDITIONS = "TERMS_AND_CONDITIONS"
# Keycloak's aliases (lower case, as Keycloak names these two): register a passkey for the
# second factor, or a passwordless one.
WEBAUTHN_REGISTER = "webauthn-register"
WEBAUTHN_REGISTER_PASSWORDLESS = "webauthn-register-passwordless"
# In the order a login asks for them (Keycloak's default priorities).
ALL = (
    TERMS_AND_CONDITIONS,
    UPDATE_PASSWORD,
    CONFIGURE_TOTP,
    UPDATE_PROFILE,
    VERIFY_EMAIL,
    WEBAUTHN_REGISTER,
    WEBAUTHN_REGISTER_PASSWORDLESS,
)
LABELS = {
    TERMS_AND_CONDITIONS: "Accept the terms and conditions",
    UPDATE_PASSWORD: "Update password",
    CONFIGURE_TOTP: "Configure an authenticator (OTP)",
    UPDATE_PROFILE: "Update profile",
    VERIFY_EMAIL: "Verify e-mail",
    WEBAUTHN_REGISTER: "Register a passkey (WebAuthn)",
    WEBAUTHN_REGISTER_PASSWORDLESS: "Register a passwordless passkey (WebAuthn)",
}


def stored(actions) -> list[str]:
    """The actions kept in ``User.required_actions`` (UPDATE_PASSWORD is a flag of its own),
    each once, in the login's order."""
    wanted = set(actions)
    return [action for action in ALL if action in wanted and action != UPDATE_PASSWORD]


def of(user: User) -> list[str]:
    """The user's required actions as Keycloak lists them (``requiredActions``)."""
    actions = set(user.required_actions)
    if user.password_temporary:
        actions.add(UPDATE_PASSWORD)
    return [action for action in ALL if action in actions]


def due(user: User) -> list[str]:
    """What the next login asks of ``user``, in order."""
    actions = set(of(user))
    if user.realm.otp_required and not otp.has_device(user):
        actions.add(CONFIGURE_TOTP)
    if user.realm.verify_email and user.email and not user.email_verified:
        actions.add(VERIFY_EMAIL)
    return [action for action in ALL if action in actions]


def complete(user: User, action: str) -> None:
    if action == UPDATE_PASSWORD:
        user.password_temporary = False
        User.objects.filter(pk=user.pk).update(password_temporary=False)
        return
    user.required_actions = [each for each in user.required_actions if each != action]
    User.objects.filter(pk=user.pk).update(required_actions=user.required_actions)
