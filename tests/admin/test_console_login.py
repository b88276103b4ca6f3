"""Console logins: rate limited per address and per username, locked out after repeated
failures (the master realm is brute-force protected); a TOTP code when enrolled, or when
required; sessions end after 30 minutes idle and 8 hours in all."""

import base64
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client as Browser
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import totp

from accounts import console_otp, sealed
from accounts.models import ConsoleTOTPDevice, User

pytestmark = pytest.mark.django_db

CREDENTIALS = {"username": "root", "password": "Root-Password-1", "next": "/admin/"}


def _code(device) -> str:
    return f"{totp(console_otp.key_of(device), device.step, device.t0, device.digits):06d}"


@override_settings(AUTHSERVER_RATE_LOGIN=(0.001, 3))
def test_it_limits_login_attempts_per_address(client, root):
    for _ in range(3):
        response = client.post("/admin/login/", {**CREDENTIALS, "password": "wrong"})
        assert response.status_code == 200
    refused = client.post("/admin/login/", CREDENTIALS)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session


@override_settings(AUTHSERVER_RATE_LOGIN=(0.001, 3))
def test_it_limits_login_attempts_per_username_whatever_the_address(root):
    for number in range(3):
        browser = Browser(REMOTE_ADDR=f"192.0.2.{number + 1}")
        assert (
            browser.post("/admin/login/", {**CREDENTIALS, "password": "wrong"}).status_code == 200
        )
    browser = Browser(REMOTE_ADDR="198.51.100.9")
    refused = browser.post("/admin/login/", CREDENTIALS)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in browser.session
    # Another account from that address is not held back.
    other = User.objects.create_superuser("other", "Other-Password-1")
    other_credentials = {**CREDENTIALS, "username": other.username, "password": "Other-Password-1"}
    assert browser.post("/admin/login/", other_credentials).status_code == 302


@override_settings(AUTHSERVER_RATE_LOGIN=None)
def test_it_locks_a_console_account_out_after_repeated_wrong_passwords(client, root):
    assert root.realm.brute_force_protected
    for _ in range(root.realm.failure_factor):
        assert client.post("/admin/login/", {**CREDENTIALS, "password": "wrong"}).status_code == 200
    locked = client.post("/admin/login/", CREDENTIALS)
    assert locked.status_code == 200
    assert "_auth_user_id" not in client.session
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert client.post("/admin/login/", CREDENTIALS).status_code == 302


def _signed_in(browser) -> bool:
    answer = browser.get("/admin/")
    assert answer.status_code in {200, 302}
    return answer.status_code == 200


def test_it_ends_a_console_session_left_idle_for_thirty_minutes(client, root):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert client.post("/admin/login/", CREDENTIALS).status_code == 302
        sessionid = client.cookies["sessionid"].value
        for _ in range(3):
            traveller.shift(timedelta(minutes=29))
            assert _signed_in(client)
        traveller.shift(timedelta(minutes=30))
        answer = client.get("/admin/")
        assert answer.status_code == 302
        assert answer["Location"].startswith("/admin/login/")
        # The session is gone, not only refused: replaying its cookie finds nothing.
        assert not Session.objects.filter(session_key=sessionid).exists()
        replay = Browser()
        replay.cookies["sessionid"] = sessionid
        assert not _signed_in(replay)


def test_it_ends_a_console_session_eight_hours_after_the_login_however_busy(client, root):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert client.post("/admin/login/", CREDENTIALS).status_code == 302
        for _ in range(7 * 3 + 2):
            traveller.shift(timedelta(minutes=20))
            assert _signed_in(client)
        traveller.shift(timedelta(minutes=20))
        assert not _signed_in(client)
        # A new login starts a new session.
        assert client.post("/admin/login/", CREDENTIALS).status_code == 302
        assert _signed_in(client)


@override_settings(AUTHSERVER_CONSOLE_SESSION_IDLE=120, AUTHSERVER_CONSOLE_SESSION_MAX=600)
def test_it_reads_the_console_session_limits_from_the_settings(client, root):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(root)
        traveller.shift(timedelta(seconds=119))
        assert _signed_in(client)
        traveller.shift(timedelta(seconds=121))
        assert not _signed_in(client)
        client.force_login(root)
        for _ in range(5):
            traveller.shift(timedelta(seconds=100))
            assert _signed_in(client)
        traveller.shift(timedelta(seconds=100))
        assert not _signed_in(client)


def test_it_asks_an_enrolled_user_for_a_one_time_code(client, root):
    device = console_otp.create(root, name="phone")
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
    device = console_otp.create(root, name="phone")
    client.logout()
    assert (
        client.post("/admin/login/", {**CREDENTIALS, "otp_token": _code(device)}).status_code == 302
    )
    assert client.get("/admin/").status_code == 200


def test_it_enrols_an_authenticator_from_the_command_line(client, root):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("console_totp", "root", stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    device = ConsoleTOTPDevice.objects.get(user=root)
    assert device.confirmed
    # The key is sealed at rest; the URL shown once carries it.
    key = console_otp.key_of(device)
    secret = base64.b32encode(key).decode()
    assert f"secret={secret}" in out.getvalue()
    assert key.hex() not in device.key_sealed and secret not in device.key_sealed
    assert sealed.unseal(device.key_sealed) == key.hex()
    answer = client.post("/admin/login/", {**CREDENTIALS, "otp_token": _code(device)})
    assert answer.status_code == 302 and client.get("/admin/").status_code == 200
