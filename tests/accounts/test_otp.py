"""The one-time-code core: RFC 4226 / RFC 6238 test vectors, the look-around window, reuse."""

from datetime import UTC, datetime

import pytest
import time_machine

from accounts import otp, sealed
from accounts.models import OTPDevice, RecoveryCode
from tests.accounts.otp_helpers import enrol, hotp_code, key_of, totp_code
from tests.factories import make_realm, make_user

pytestmark = pytest.mark.django_db

RFC_SHA1_KEY = b"12345678901234567890"


def test_it_computes_the_rfc_4226_test_vectors():
    expected = ["755224", "287082", "359152", "969429", "338314"]
    assert [
        otp.hotp(RFC_SHA1_KEY, counter, algorithm="HmacSHA1", digits=6) for counter in range(5)
    ] == expected


@pytest.mark.parametrize(
    "algorithm, key, code",
    [
        ("HmacSHA1", RFC_SHA1_KEY, "94287082"),
        ("HmacSHA256", b"12345678901234567890123456789012", "46119246"),
        (
            "HmacSHA512",
            b"1234567890123456789012345678901234567890123456789012345678901234",
            "90693936",
        ),
    ],
)
def test_it_computes_the_rfc_6238_test_vectors(algorithm, key, code):
    # RFC 6238 appendix B: T = 59 s, a 30 s step, 8 digits.
    assert otp.hotp(key, 59 // 30, algorithm=algorithm, digits=8) == code


def test_it_seals_the_secret_at_rest():
    user = make_user(make_realm())
    device, secret = enrol(user)
    stored = OTPDevice.objects.get(pk=device.pk).secret_sealed
    assert stored.count(".") == 4  # a compact JWE
    assert key_of(secret).decode() not in stored
    assert sealed.unseal(stored) == otp.raw_secret(device)


def test_it_accepts_a_code_once_within_the_window_and_never_again():
    realm = make_realm(otp_policy_look_ahead_window=1)
    device, secret = enrol(make_user(realm))
    now = datetime(2026, 5, 1, 12, 0, 10, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        previous = totp_code(secret, at=now.timestamp() - 30)
        assert otp.verify(OTPDevice.objects.get(pk=device.pk), previous)
        assert not otp.verify(OTPDevice.objects.get(pk=device.pk), previous)
        current = totp_code(secret, at=now.timestamp())
        assert otp.verify(OTPDevice.objects.get(pk=device.pk), current)
        assert not otp.verify(OTPDevice.objects.get(pk=device.pk), current)
        # Once a later step was used, an earlier code is refused even within the window.
        too_old = totp_code(secret, at=now.timestamp() - 60)
        assert not otp.verify(OTPDevice.objects.get(pk=device.pk), too_old)


def test_it_refuses_a_code_outside_the_window():
    realm = make_realm(otp_policy_look_ahead_window=0)
    device, secret = enrol(make_user(realm))
    now = datetime(2026, 5, 1, 12, 0, 10, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        assert not otp.verify(device, totp_code(secret, at=now.timestamp() + 30))
        assert not otp.verify(device, "12345")
        assert not otp.verify(device, "abcdef")
        assert otp.verify(device, totp_code(secret, at=now.timestamp()))


def test_it_follows_an_hotp_policy_with_its_counter():
    realm = make_realm(otp_policy_type="hotp", otp_policy_initial_counter=5)
    device, secret = enrol(make_user(realm))
    assert device.kind == "hotp" and device.counter == 5
    assert "counter=5" in otp.provisioning_uri(device)
    assert not otp.verify(device, hotp_code(secret, 4))
    assert otp.verify(device, hotp_code(secret, 6))  # one ahead: within the window
    device.refresh_from_db()
    assert device.counter == 7
    assert not otp.verify(device, hotp_code(secret, 6))


def test_it_enrols_under_the_realms_policy():
    realm = make_realm(otp_policy_algorithm="HmacSHA256", otp_policy_digits=8, otp_policy_period=60)
    device = otp.start_enrolment(make_user(realm, "alice"))
    uri = otp.provisioning_uri(device)
    assert uri.startswith(f"otpauth://totp/{realm.name}%3Aalice?")
    assert "algorithm=SHA256" in uri and "digits=8" in uri and "period=60" in uri
    assert f"secret={otp.secret_of(device)}" in uri
    assert otp.qr_svg(uri).startswith("<svg")


def test_it_spends_each_recovery_code_once():
    user = make_user(make_realm())
    codes = otp.new_recovery_codes(user)
    assert len(set(codes)) == otp.RECOVERY_CODES
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()
    assert otp.use_recovery_code(user, codes[0].upper())
    assert not otp.use_recovery_code(user, codes[0])
    assert otp.recovery_codes_left(user) == otp.RECOVERY_CODES - 1
    other = make_user(user.realm, "other")
    assert not otp.use_recovery_code(other, codes[1])
