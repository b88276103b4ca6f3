"""Passkeys (WebAuthn) as a second factor, through the ``webauthn`` library: registration and
assertion options, and their verification. The relying party is this server's public host
(AUTHSERVER_URL), named after the realm; a challenge lives in the Django session, once."""

import json
from urllib.parse import urlsplit

from django.conf import settings
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
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import Passkey, User

_CHALLENGE = "accounts.passkey_challenge"


def _rp_id() -> str:
    return urlsplit(settings.AUTHSERVER_URL).hostname


def _origin() -> str:
    parts = urlsplit(settings.AUTHSERVER_URL)
    return f"{parts.scheme}://{parts.netloc}"


def of(user: User):
    return Passkey.objects.filter(user=user).order_by("created")


def has_passkey(user: User) -> bool:
    return of(user).exists()


def registration_options(request, user: User) -> str:
    options = generate_registration_options(
        rp_id=_rp_id(),
        rp_name=user.realm.title,
        user_name=user.username,
        user_id=user.subject.bytes,
        user_display_name=user.get_full_name() or user.username,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(each.credential_id))
            for each in of(user)
        ],
    )
    request.session[_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def _challenge(request) -> bytes | None:
    value = request.session.pop(_CHALLENGE, None)
    return base64url_to_bytes(value) if value else None


def register(request, user: User, credential: str, *, name: str) -> Passkey | None:
    challenge = _challenge(request)
    if challenge is None:
        return None
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=_origin(),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        # binascii.Error is a ValueError: a malformed answer is refused like a wrong one.
        return None
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        return None
    return Passkey.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def authentication_options(request, user: User) -> str:
    options = generate_authentication_options(
        rp_id=_rp_id(),
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(each.credential_id))
            for each in of(user)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def authenticate(request, user: User, credential: str) -> Passkey | None:
    """The user's passkey that signed this challenge; its signature counter moves on."""
    challenge = _challenge(request)
    if challenge is None:
        return None
    try:
        credential_id = json.loads(credential)["id"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(credential_id, str):
        return None
    passkey = of(user).filter(credential_id=credential_id).first()
    if passkey is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=_origin(),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used=timezone.now()
    )
    return passkey
