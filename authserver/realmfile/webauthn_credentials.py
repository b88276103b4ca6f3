"""Keycloak's ``webauthn`` and ``webauthn-passwordless`` credentials as they travel in realm
files: passkeys, second-factor or passwordless.

``credentialData`` is a JSON text ``{"aaguid", "credentialId", "credentialPublicKey",
"counter", "attestationStatementFormat", "transports", "attestationStatement"}``: the
credential id and the COSE public key in base64 (Keycloak writes the standard alphabet with
padding; the URL-safe one is taken too), the signature counter, what the authenticator said of
itself. ``secretData`` is ``{}``: a passkey has no secret here, only a public key. The
attestation statement is not kept (nothing here checks it after registration) and leaves as
null.
"""

import base64
import binascii
import json
from datetime import UTC, datetime

from django.utils import timezone
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.decode_credential_public_key import decode_credential_public_key
from webauthn.helpers.decoded_public_key_to_cryptography import (
    decoded_public_key_to_cryptography,
)
from webauthn.helpers.exceptions import WebAuthnException

from accounts.models import Passkey
from authserver.realmfile.credentials import CredentialError
from authserver.realmfile.schema import PasskeySpec

SECOND_FACTOR = "webauthn"
PASSWORDLESS = "webauthn-passwordless"
TYPES = (SECOND_FACTOR, PASSWORDLESS)
_MAX_ID = 1023
_MAX_KEY = 2048
_TRANSPORTS = ("usb", "nfc", "ble", "smart-card", "hybrid", "internal", "cable")


def _object(text: str, field: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise CredentialError("is not JSON", field=field) from None
    if not isinstance(value, dict):
        raise CredentialError("is not a JSON object", field=field)
    return value


def _bytes(value, what: str) -> bytes:
    """Base64 in either alphabet, padded or not."""
    if not isinstance(value, str) or not value:
        raise CredentialError(f"{what} must be base64 text", field="credentialData")
    text = value.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CredentialError(f"{what} is not base64", field="credentialData") from None


def read(
    kind: str, secret_data: str | None, credential_data: str, *, label: str, created_ms
) -> PasskeySpec:
    """A passkey from Keycloak's credential; CredentialError names the field at fault."""
    if secret_data:
        _object(secret_data, "secretData")
    data = _object(credential_data, "credentialData")
    credential_id = _bytes(data.get("credentialId"), "credentialId")
    public_key = _bytes(data.get("credentialPublicKey"), "credentialPublicKey")
    if len(credential_id) > _MAX_ID or len(public_key) > _MAX_KEY:
        raise CredentialError(
            "credentialId or credentialPublicKey is too long", field="credentialData"
        )
    try:
        decoded_public_key_to_cryptography(decode_credential_public_key(public_key))
    except (WebAuthnException, KeyError, ValueError, TypeError, IndexError, AttributeError):
        raise CredentialError(
            "credentialPublicKey is not a COSE public key this server verifies",
            field="credentialData",
        ) from None
    counter = data.get("counter", 0)
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 <= counter < 2**32:
        raise CredentialError("counter must be a whole number from 0", field="credentialData")
    aaguid = data.get("aaguid") or ""
    fmt = data.get("attestationStatementFormat") or ""
    transports = data.get("transports") or []
    if not isinstance(aaguid, str) or not isinstance(fmt, str) or not isinstance(transports, list):
        raise CredentialError(
            "aaguid and attestationStatementFormat must be text, transports a list",
            field="credentialData",
        )
    return PasskeySpec(
        credential_id=bytes_to_base64url(credential_id),
        public_key=public_key,
        sign_count=counter,
        aaguid=aaguid.lower()[:36],
        attestation_format=fmt[:32],
        transports=tuple(
            each.lower()
            for each in transports
            if isinstance(each, str) and each.lower() in _TRANSPORTS
        ),
        passwordless=kind == PASSWORDLESS,
        label=label[:64],
        created_ms=created_ms,
    )


def export(passkey: Passkey) -> dict:
    """The passkey as Keycloak exports a ``webauthn`` (or ``webauthn-passwordless``)
    credential."""
    credential_data = {
        "aaguid": passkey.aaguid or "00000000-0000-0000-0000-000000000000",
        "credentialId": base64.b64encode(base64url_to_bytes(passkey.credential_id)).decode(),
        "counter": passkey.sign_count,
        "attestationStatement": None,
        "credentialPublicKey": base64.b64encode(bytes(passkey.public_key)).decode(),
        "attestationStatementFormat": passkey.attestation_format or "none",
        "transports": list(passkey.transports),
    }
    return {
        "type": PASSWORDLESS if passkey.passwordless else SECOND_FACTOR,
        "userLabel": passkey.name,
        "createdDate": int(passkey.created.timestamp() * 1000),
        "secretData": "{}",
        "credentialData": json.dumps(credential_data),
    }


def passkey(user, spec: PasskeySpec) -> Passkey:
    """A passkey of ``user`` from ``spec`` (not saved)."""
    created = (
        datetime.fromtimestamp(spec.created_ms / 1000, tz=UTC)
        if spec.created_ms
        else timezone.now()
    )
    return Passkey(
        user=user,
        name=spec.label or "Passkey",
        passwordless=spec.passwordless,
        credential_id=spec.credential_id,
        public_key=spec.public_key,
        sign_count=spec.sign_count,
        aaguid=spec.aaguid,
        attestation_format=spec.attestation_format,
        transports=list(spec.transports),
        # Keycloak does not keep the backup flags: a passkey of unknown kind reads as hardware.
        backup_eligible=False,
        created=created,
    )
