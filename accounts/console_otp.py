"""Console accounts' authenticators (ConsoleTOTPDevice): made with a random key sealed at rest,
shown once as an otpauth URL, and checked as django-otp's TOTPDevice checks its codes (its
``oath.TOTP``), with the key unsealed only while a code is checked."""

import binascii
import time
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django_otp.oath import TOTP
from django_otp.util import random_hex

from accounts import sealed
from accounts.models import ConsoleTOTPDevice, User

_KEY_BYTES = 20


def create(user: User, *, name: str = "authenticator") -> ConsoleTOTPDevice:
    return ConsoleTOTPDevice.objects.create(
        user=user, name=name, confirmed=True, key_sealed=sealed.seal(random_hex(_KEY_BYTES))
    )


def key_of(device: ConsoleTOTPDevice) -> bytes:
    return binascii.unhexlify(sealed.unseal(device.key_sealed))


def config_url(device: ConsoleTOTPDevice) -> str:
    """The otpauth URL an authenticator app takes (Google's Key Uri Format), as TOTPDevice's."""
    label = device.user.get_username()
    params = {
        "secret": b32encode(key_of(device)).decode(),
        "algorithm": "SHA1",
        "digits": device.digits,
        "period": device.step,
    }
    issuer = getattr(settings, "OTP_TOTP_ISSUER", None)
    query = urlencode(params)
    if isinstance(issuer, str) and issuer:
        issuer = issuer.replace(":", "")
        label = f"{issuer}:{label}"
        query += f"&issuer={quote(issuer)}"
    return f"otpauth://totp/{quote(label)}?{query}"


def verify(device: ConsoleTOTPDevice, token) -> bool:
    """django-otp's TOTPDevice.verify_token, on the sealed key: throttled, each step once, the
    drift followed."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False
    try:
        code = int(token)
    except (TypeError, ValueError):
        verified = False
    else:
        totp = TOTP(key_of(device), device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        verified = totp.verify(code, device.tolerance, device.last_t + 1)
        if verified:
            device.last_t = totp.t()
            if getattr(settings, "OTP_TOTP_SYNC", True):
                device.drift = totp.drift
            device.throttle_reset(commit=False)
            device.set_last_used_timestamp(commit=False)
            device.save()
    if not verified:
        device.throttle_increment(commit=True)
    return verified
