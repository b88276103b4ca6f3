"""One-time codes for realm users: RFC 4226 HOTP and RFC 6238 TOTP under the realm's OTP
policy (Keycloak's ``otpPolicy*``), enrolment, and single-use recovery codes.

django-otp's ``oath`` computes only HMAC-SHA1; Keycloak's policies may name SHA-256 or SHA-512,
so the few lines of RFC 4226 section 5.3 are here, for every algorithm alike.
"""

import base64
import hashlib
import hmac
import secrets
import string
import struct
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.db.models import Q
from django.utils import timezone

from accounts import sealed
from accounts.models import OTPAlgorithm, OTPDevice, OTPType, RecoveryCode, User

_HASHES = {
    OTPAlgorithm.SHA1: hashlib.sha1,
    OTPAlgorithm.SHA256: hashlib.sha256,
    OTPAlgorithm.SHA512: hashlib.sha512,
}
# The otpauth URI's names for them (Google Authenticator's Key Uri Format).
_URI_ALGORITHMS = {
    OTPAlgorithm.SHA1: "SHA1",
    OTPAlgorithm.SHA256: "SHA256",
    OTPAlgorithm.SHA512: "SHA512",
}
# Keycloak's secrets: 20 letters and digits whose UTF-8 bytes are the HMAC key (about 119 bits),
# so a realm exported here imports into Keycloak with its authenticators working.
_SECRET_LENGTH = 20
_SECRET_ALPHABET = string.ascii_letters + string.digits
RECOVERY_CODES = 10
# Ten characters of 31: about 50 bits each, kept as a SHA-256 like other random tokens.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10


def hotp(key: bytes, counter: int, *, algorithm: str, digits: int) -> str:
    """RFC 4226 section 5.3: HMAC of the counter, dynamically truncated to ``digits`` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), _HASHES[algorithm]).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def raw_secret(device: OTPDevice) -> str:
    """The secret as Keycloak keeps it: the text whose UTF-8 bytes are the HMAC key."""
    return sealed.unseal(device.secret_sealed)


def _key(device: OTPDevice) -> bytes:
    return raw_secret(device).encode()


def secret_of(device: OTPDevice) -> str:
    """The device's key in base32 (no padding), as authenticator apps take it."""
    return base64.b32encode(_key(device)).decode().rstrip("=")


def confirmed_devices(user: User):
    return OTPDevice.objects.filter(user=user, confirmed=True).order_by("created")


def has_device(user: User) -> bool:
    return confirmed_devices(user).exists()


def is_required(user: User) -> bool:
    """The login asks this user for a one-time code (or to enrol an authenticator first)."""
    return user.realm.otp_required or has_device(user)


def start_enrolment(user: User, *, name: str = "Authenticator") -> OTPDevice:
    """A new, unconfirmed device under the realm's current policy; earlier unfinished
    enrolments of the user are dropped."""
    realm = user.realm
    OTPDevice.objects.filter(user=user, confirmed=False).delete()
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_SECRET_LENGTH))
    return OTPDevice.objects.create(
        user=user,
        name=name,
        confirmed=False,
        kind=realm.otp_policy_type,
        secret_sealed=sealed.seal(secret),
        algorithm=realm.otp_policy_algorithm,
        digits=realm.otp_policy_digits,
        period=realm.otp_policy_period,
        counter=realm.otp_policy_initial_counter,
    )


def finish_enrolment(device: OTPDevice, code: str, *, name: str) -> bool:
    """Confirm ``device`` once the user shows a code it computes."""
    if not verify(device, code):
        return False
    device.confirmed = True
    device.name = name or device.name
    device.save(update_fields=["confirmed", "name"])
    return True


def provisioning_uri(device: OTPDevice) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    user = device.user
    issuer = user.realm.title
    params = {
        "secret": secret_of(device),
        "issuer": issuer,
        "algorithm": _URI_ALGORITHMS[device.algorithm],
        "digits": device.digits,
    }
    if device.kind == OTPType.HOTP:
        params["counter"] = device.counter
    else:
        params["period"] = device.period
    label = quote(f"{issuer}:{user.username}")
    return f"otpauth://{device.kind}/{label}?{urlencode(params, quote_via=quote)}"


def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code: shown without any script."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def verify(device: OTPDevice, code: str, *, now=None) -> bool:
    """Whether ``code`` is one the device computes now (within the realm's look-around
    window) and has not been accepted before. Accepting it moves the device on in the
    database, conditionally, so two requests cannot both spend one code."""
    code = "".join(code.split())
    if len(code) != device.digits or not code.isdigit():
        return False
    now = now or timezone.now()
    window = device.user.realm.otp_policy_look_ahead_window
    key = _key(device)
    if device.kind == OTPType.HOTP:
        return _verify_hotp(device, key, code, window, now)
    step = int(now.timestamp()) // device.period
    for candidate in range(step - window, step + window + 1):
        if device.last_step is not None and candidate <= device.last_step:
            continue
        expected = hotp(key, candidate, algorithm=device.algorithm, digits=device.digits)
        if hmac.compare_digest(expected, code):
            spent = OTPDevice.objects.filter(
                Q(last_step__isnull=True) | Q(last_step__lt=candidate), pk=device.pk
            ).update(last_step=candidate, last_used=now)
            return spent == 1
    return False


def _verify_hotp(device: OTPDevice, key: bytes, code: str, window: int, now) -> bool:
    for counter in range(device.counter, device.counter + window + 1):
        expected = hotp(key, counter, algorithm=device.algorithm, digits=device.digits)
        if hmac.compare_digest(expected, code):
            spent = OTPDevice.objects.filter(pk=device.pk, counter=device.counter).update(
                counter=counter + 1, last_used=now
            )
            return spent == 1
    return False


def verify_any(user: User, code: str) -> OTPDevice | None:
    """The user's confirmed device that accepts ``code``, if one does."""
    for device in confirmed_devices(user).select_related("user__realm"):
        if verify(device, code):
            return device
    return None


# --- Recovery codes ------------------------------------------------------------------------------


def _recovery_hash(code: str) -> str:
    normal = "".join(code.lower().replace("-", "").split())
    return hashlib.sha256(normal.encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """A fresh set of codes, replacing any earlier set; shown to the user once."""
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    codes = [f"{code[:5]}-{code[5:]}" for code in codes]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes
    )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code of ``user``; each works once."""
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(code), used__isnull=True
    ).update(used=timezone.now())
    return spent == 1


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used__isnull=True).count()


def remove_device(device: OTPDevice) -> None:
    """Remove an authenticator; the recovery codes go with the last one."""
    user = device.user
    device.delete()
    if not has_device(user):
        RecoveryCode.objects.filter(user=user).delete()
