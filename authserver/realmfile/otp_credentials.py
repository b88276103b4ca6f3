"""Keycloak's ``otp`` credentials as they travel in realm files.

``secretData`` is a JSON text ``{"value": SECRET}`` where SECRET is the HMAC key as text (its
UTF-8 bytes are the key; authenticator apps are shown their base32); ``credentialData`` is a
JSON text ``{"subType": "totp"|"hotp", "digits", "period", "counter", "algorithm"}``.
"""

import json
from datetime import UTC, datetime

from django.utils import timezone

from accounts import otp, sealed
from accounts.models import OTPAlgorithm, OTPDevice, OTPType
from authserver.realmfile.credentials import CredentialError
from authserver.realmfile.schema import OTPSpec

_MAX_SECRET = 512


def _object(text: str, field: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise CredentialError("is not JSON", field=field) from None
    if not isinstance(value, dict):
        raise CredentialError("is not a JSON object", field=field)
    return value


def _whole(data: dict, key: str, default: int, *, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CredentialError(
            f"{key} must be a whole number from {low} to {high}", field="credentialData"
        )
    return value


def read(secret_data: str, credential_data: str, *, label: str, created_ms) -> OTPSpec:
    secret = _object(secret_data, "secretData").get("value")
    if not isinstance(secret, str) or not secret or len(secret) > _MAX_SECRET:
        raise CredentialError("value must be the OTP secret", field="secretData")
    data = _object(credential_data, "credentialData")
    kind = data.get("subType", OTPType.TOTP)
    if kind not in OTPType.values:
        raise CredentialError("subType must be totp or hotp", field="credentialData")
    algorithm = data.get("algorithm", OTPAlgorithm.SHA1)
    if algorithm not in OTPAlgorithm.values:
        names = ", ".join(OTPAlgorithm.values)
        raise CredentialError(f"algorithm must be one of {names}", field="credentialData")
    digits = _whole(data, "digits", 6, low=6, high=8)
    if digits == 7:
        raise CredentialError("digits must be 6 or 8", field="credentialData")
    return OTPSpec(
        secret=secret,
        kind=kind,
        algorithm=algorithm,
        digits=digits,
        period=_whole(data, "period", 30, low=1, high=600),
        counter=_whole(data, "counter", 0, low=0, high=2**53),
        label=label[:64],
        created_ms=created_ms,
    )


def export(device: OTPDevice) -> dict:
    """The device as Keycloak exports an ``otp`` credential."""
    credential_data = {
        "subType": device.kind,
        "digits": device.digits,
        "counter": device.counter,
        "period": device.period,
        "algorithm": device.algorithm,
    }
    return {
        "type": "otp",
        "userLabel": device.name,
        "createdDate": int(device.created.timestamp() * 1000),
        "secretData": json.dumps({"value": otp.raw_secret(device)}),
        "credentialData": json.dumps(credential_data),
    }


def device(user, spec: OTPSpec) -> OTPDevice:
    """A confirmed device of ``user`` from ``spec`` (not saved)."""
    created = (
        datetime.fromtimestamp(spec.created_ms / 1000, tz=UTC)
        if spec.created_ms
        else timezone.now()
    )
    return OTPDevice(
        user=user,
        name=spec.label or "Authenticator",
        confirmed=True,
        kind=spec.kind,
        secret_sealed=sealed.seal(spec.secret),
        algorithm=spec.algorithm,
        digits=spec.digits,
        period=spec.period,
        counter=spec.counter,
        created=created,
    )
