"""Passkeys (WebAuthn), through the ``webauthn`` library: registration and assertion options
under the realm's WebAuthn policies (accounts.webauthn_policy), and their verification. A
passkey is either a second factor after the password (Keycloak's ``webauthn`` credential) or
passwordless (``webauthn-passwordless``): a discoverable credential that signs in alone, with
user verification. A challenge lives in the Django session, once, tagged with its ceremony."""

import json

from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)

from accounts import webauthn_policy
from accounts.models import Passkey, Realm, User

_CHALLENGE = "accounts.passkey_challenge"
# RFC 8176: proof of possession of a hardware-secured key, or of a software-secured one (a
# passkey that may be synced to the user's other devices is no longer bound to one piece of
# hardware).
HARDWARE_KEY = "hwk"
SOFTWARE_KEY = "swk"
# A malformed answer is refused like a wrong one (binascii.Error is a ValueError).
_REFUSED = (WebAuthnException, ValueError, TypeError, KeyError)
_TRANSPORTS = {each.value for each in AuthenticatorTransport}


def of(user: User, *, passwordless: bool = False):
    return Passkey.objects.filter(user=user, passwordless=passwordless).order_by("created")


def all_of(user: User):
    return Passkey.objects.filter(user=user).order_by("passwordless", "created")


def has_passkey(user: User) -> bool:
    """Whether the user has a passkey for the second factor (a passwordless one is not asked
    for after the password, as in Keycloak)."""
    return of(user).exists()


def method(passkey: Passkey) -> str:
    """The passkey's RFC 8176 method reference."""
    return SOFTWARE_KEY if passkey.backup_eligible else HARDWARE_KEY


def user_handle(user: User) -> bytes:
    """WebAuthn's user.id: the user's id as UTF-8, as Keycloak gives it, so that passkeys move
    between the two with the user."""
    return str(user.subject).encode()


def _keep_challenge(request, challenge: bytes, purpose: str) -> None:
    request.session[_CHALLENGE] = {"value": bytes_to_base64url(challenge), "for": purpose}


def _challenge(request, purpose: str) -> bytes | None:
    kept = request.session.pop(_CHALLENGE, None)
    if not isinstance(kept, dict) or kept.get("for") != purpose:
        return None
    return base64url_to_bytes(kept["value"])


def _descriptors(passkeys) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(each.credential_id),
            transports=[AuthenticatorTransport(t) for t in each.transports if t in _TRANSPORTS],
        )
        for each in passkeys
    ]


# --- Registration ---------------------------------------------------------------------------


def registration_options(request, user: User, *, passwordless: bool = False) -> str:
    policy = webauthn_policy.ceremony(user.realm, passwordless=passwordless)
    options = generate_registration_options(
        rp_id=policy.rp_id,
        rp_name=policy.rp_name,
        user_name=user.username,
        user_id=user_handle(user),
        user_display_name=user.get_full_name() or user.username,
        timeout=policy.timeout_ms,
        attestation=policy.attestation,
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=policy.attachment,
            resident_key=policy.resident_key,
            user_verification=policy.user_verification,
        ),
        exclude_credentials=_descriptors(of(user, passwordless=passwordless))
        if policy.avoid_same_authenticator
        else [],
        supported_pub_key_algs=policy.algorithms,
    )
    _keep_challenge(request, options.challenge, _registration(passwordless))
    return options_to_json(options)


def _registration(passwordless: bool) -> str:
    return "register-passwordless" if passwordless else "register"


def register(
    request, user: User, credential: str, *, name: str, passwordless: bool = False
) -> Passkey | None:
    """The passkey the browser's answer registers, or None if it is refused: a wrong or
    replayed answer, an algorithm, model (AAGUID) or missing user verification the policy does
    not accept, or a credential already registered in the realm."""
    challenge = _challenge(request, _registration(passwordless))
    if challenge is None:
        return None
    policy = webauthn_policy.ceremony(user.realm, passwordless=passwordless)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=policy.rp_id,
            expected_origin=webauthn_policy.origin(),
            require_user_verification=policy.requires_user_verification,
            supported_pub_key_algs=policy.algorithms,
        )
        transports = json.loads(credential).get("response", {}).get("transports") or []
    except _REFUSED:
        return None
    aaguid = str(verified.aaguid).lower()
    if policy.acceptable_aaguids and aaguid not in policy.acceptable_aaguids:
        return None
    credential_id = bytes_to_base64url(verified.credential_id)
    if in_realm(user.realm).filter(credential_id=credential_id).exists():
        return None
    return Passkey.objects.create(
        user=user,
        name=name,
        passwordless=passwordless,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=aaguid,
        attestation_format=str(getattr(verified.fmt, "value", verified.fmt)),
        transports=[t for t in transports if isinstance(t, str) and t in _TRANSPORTS],
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
    )


def in_realm(realm: Realm):
    return Passkey.objects.filter(user__realm=realm)


# --- The second factor ------------------------------------------------------------------------


def authentication_options(request, user: User) -> str:
    policy = webauthn_policy.ceremony(user.realm, passwordless=False)
    options = generate_authentication_options(
        rp_id=policy.rp_id,
        allow_credentials=_descriptors(of(user)),
        user_verification=policy.user_verification,
    )
    _keep_challenge(request, options.challenge, "second-factor")
    return options_to_json(options)


def authenticate(request, user: User, credential: str) -> Passkey | None:
    """The user's second-factor passkey that signed this challenge; its counter moves on."""
    challenge = _challenge(request, "second-factor")
    if challenge is None:
        return None
    passkey = of(user).filter(credential_id=_credential_id(credential)).first()
    if passkey is None:
        return None
    policy = webauthn_policy.ceremony(user.realm, passwordless=False)
    return _verified(passkey, credential, challenge, policy)


# --- Passwordless -----------------------------------------------------------------------------


def sign_in_options(request, realm: Realm) -> str:
    """Options for a passwordless sign-in: no user named (the passkey names the user), user
    verification required."""
    policy = webauthn_policy.ceremony(realm, passwordless=True)
    options = generate_authentication_options(
        rp_id=policy.rp_id, user_verification=UserVerificationRequirement.REQUIRED
    )
    _keep_challenge(request, options.challenge, f"sign-in:{realm.pk}")
    return options_to_json(options)


def sign_in(request, realm: Realm, credential: str) -> Passkey | None:
    """The realm's passwordless passkey that signed this challenge, with the user verified by
    the authenticator; None otherwise. The user is the passkey's; a user handle, when the
    authenticator gives one, must be that user's."""
    challenge = _challenge(request, f"sign-in:{realm.pk}")
    if challenge is None:
        return None
    passkey = (
        in_realm(realm)
        .filter(passwordless=True, credential_id=_credential_id(credential))
        .select_related("user__realm")
        .first()
    )
    if passkey is None or not _handle_matches(credential, passkey.user):
        return None
    policy = webauthn_policy.ceremony(realm, passwordless=True)
    return _verified(passkey, credential, challenge, policy)


def _handle_matches(credential: str, user: User) -> bool:
    try:
        handle = json.loads(credential)["response"].get("userHandle")
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    if not handle:
        return True
    try:
        given = base64url_to_bytes(handle)
    except (ValueError, TypeError):
        return False
    # This server's handles, and the 16 bytes of the subject its first passkeys were given.
    return given in (user_handle(user), user.subject.bytes)


# --- Both -------------------------------------------------------------------------------------


def _credential_id(credential: str) -> str:
    try:
        found = json.loads(credential)["id"]
    except (ValueError, KeyError, TypeError):
        return ""
    return found if isinstance(found, str) else ""


def _verified(passkey: Passkey, credential: str, challenge: bytes, policy) -> Passkey | None:
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=policy.rp_id,
            expected_origin=webauthn_policy.origin(),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=policy.requires_user_verification,
        )
    except _REFUSED:
        return None
    now = timezone.now()
    Passkey.objects.filter(pk=passkey.pk).update(sign_count=verified.new_sign_count, last_used=now)
    passkey.sign_count, passkey.last_used = verified.new_sign_count, now
    return passkey
