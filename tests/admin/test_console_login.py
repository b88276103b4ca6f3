"""Console logins: rate limited per address; a TOTP code when enrolled, or when required."""

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

CREDENTIALS = {"username": "root", "password": "Root-Password-1", "next": "/admin/"}


def _code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


@override_settings(AUTHSERVER_RATE_LOGIN=(0.001, 3))
def test_it_limits_login_attempts_per_address(client, root):
    for _ in range(3):
        response = client.post("/admin/login/", {**CREDENTIALS, "password": "wrong"})
        assert response.status_code == 200
    refused = client.post("/admin/login/", CREDENTIALS)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session


def test_it_asks_an_enrolled_user_for_a_one_time_code(client, root):
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    without = client.post("/admin/login/", CREDENTIALS)
    assert without.status_code == 200
    assert "Enter the one-time code" in without.content.decode()
    wrong = client.post("/admin/login/", {**CREDENTIALS, "otp_token": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()  # django-otp makes a device wait after a failure
    right = client.post("/admin/login/", {**CREDENTIALS, "otp_token": _code(device)})
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(AUTHSERVER_CONSOLE_REQUIRE_MFA=True)
def test_it_requires_a_superuser_to_be_enrolled_when_mfa_is_required(client, root):
    refused = client.post("/admin/login/", CREDENTIALS)
    assert refused.status_code == 200
    assert "console_totp" in refused.content.decode()
    # A session without a verified device (forced in) does not reach the console either.
    client.force_login(root)
    assert client.get("/admin/").status_code == 302
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    client.logout()
    assert (
        client.post("/admin/login/", {**CREDENTIALS, "otp_token": _code(device)}).status_code == 302
    )
    assert client.get("/admin/").status_code == 200


def test_it_enrols_an_authenticator_from_the_command_line(root):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("console_totp", "root", stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    assert TOTPDevice.objects.get(user=root).confirmed
