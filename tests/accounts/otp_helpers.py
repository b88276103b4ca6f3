"""Codes as an authenticator app computes them: django-otp's RFC 6238 TOTP (HMAC-SHA1), from
the base32 secret the enrolment page shows."""

import base64
import re
import time

from django_otp.oath import TOTP, hotp

from accounts import otp
from accounts.models import OTPDevice, User


def key_of(base32_secret: str) -> bytes:
    secret = base32_secret.replace(" ", "")
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def totp_code(base32_secret: str, *, at: float | None = None, digits: int = 6, step=30) -> str:
    generator = TOTP(key_of(base32_secret), step=step, digits=digits)
    generator.time = time.time() if at is None else at
    return f"{generator.token():0{digits}d}"


def hotp_code(base32_secret: str, counter: int, *, digits: int = 6) -> str:
    return f"{hotp(key_of(base32_secret), counter, digits=digits):0{digits}d}"


def secret_on_page(html: str) -> str:
    found = re.search(r'<code class="secret" id="otp-secret">([A-Z2-7 ]+)</code>', html)
    assert found, "the enrolment page shows no secret"
    return found.group(1).replace(" ", "")


def enrol(user: User, *, name="Phone") -> tuple[OTPDevice, str]:
    """A confirmed authenticator of ``user`` and its base32 secret."""
    device = otp.start_enrolment(user, name=name)
    device.confirmed = True
    device.save()
    return device, otp.secret_of(device)
