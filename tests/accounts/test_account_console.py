"""/realms/NAME/account: the user's own console. Signed in through the realm's login, every
change a CSRF-checked POST that reads the session again; nothing of another user or realm."""

import pytest
from django.test import Client as Browser

from accounts import mail, otp
from accounts.models import Event, OTPDevice, User, UserSession
from tests.accounts.otp_helpers import enrol, secret_on_page, totp_code
from tests.factories import PASSWORD, make_realm, make_user
from tests.protocol.helpers import login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Pass-42"


def account(realm, page=""):
    return f"/realms/{realm.name}/account" + (f"/{page}" if page else "")


def signed_in(realm, username="alice", **headers) -> Browser:
    browser = Browser(**headers)
    assert login(browser, realm, username).status_code == 302
    return browser


@pytest.fixture
def realm():
    return make_realm("acme", password_policy="length(10) and digits(1)")


@pytest.fixture
def alice(realm):
    return make_user(realm, "alice", email="alice@example.com", email_verified=True)


@pytest.mark.parametrize(
    "page", ["", "password", "signing-in", "signing-in/totp", "sessions", "events"]
)
def test_it_sends_a_stranger_to_the_realms_login_and_back(client, realm, page):
    response = client.get(account(realm, page))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/realms/{realm.name}/login?next=")
    assert response["Location"].endswith(account(realm, page).replace("/", "%2F"))
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_a_session_of_another_realm_is_no_session_here(realm, alice):
    other = make_realm("charlie")
    make_user(other, "alice")
    browser = signed_in(other)
    assert browser.get(account(realm))["Location"].startswith(f"/realms/{realm.name}/login")


def test_it_updates_the_names_and_mails_a_link_to_a_new_address(realm, alice, mailoutbox):
    browser = signed_in(realm)
    page = browser.get(account(realm)).content.decode()
    assert 'value="alice@example.com"' in page and '<label for="email">' in page
    response = browser.post(
        account(realm), {"email": "new@example.com", "firstName": "Alice", "lastName": "L"}
    )
    assert response.status_code == 200 and "has been updated" in response.content.decode()
    alice.refresh_from_db()
    assert (alice.email, alice.email_verified, alice.first_name) == (
        "alice@example.com",
        True,
        "Alice",
    )
    # A realm without an smtpServer mails through the installation's backend, once the outbox
    # is sent (the request's transaction never commits here).
    assert not mailoutbox
    mail.deliver_due()
    (message,) = mailoutbox
    assert message.to == ["new@example.com"] and "/login/action/update-email?key=" in message.body
    assert Event.objects.filter(type="UPDATE_PROFILE", user=alice).exists()
    assert browser.post(account(realm), {"email": "nope"}).status_code == 400


def test_every_change_needs_the_csrf_token(realm, alice):
    browser = Browser(enforce_csrf_checks=True)
    browser.cookies = signed_in(realm).cookies
    for page, data in [
        ("", {"email": "x@example.com", "firstName": "X", "lastName": "Y"}),
        ("password", {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
        ("sessions", {"action": "sign-out-others"}),
        ("signing-in", {"action": "recovery-codes"}),
    ]:
        assert browser.post(account(realm, page), data).status_code == 403
    alice.refresh_from_db()
    assert alice.email == "alice@example.com" and alice.check_password(PASSWORD)


def test_it_changes_the_password_with_the_current_one_and_the_policy(realm, alice):
    elsewhere = signed_in(realm)
    browser = signed_in(realm)
    wrong = browser.post(
        account(realm, "password"),
        {"current": "not-it", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "current password is not right" in wrong.content.decode()
    weak = browser.post(
        account(realm, "password"), {"current": PASSWORD, "new": "short1", "confirm": "short1"}
    )
    assert weak.status_code == 400 and "at least 10 characters" in weak.content.decode()
    done = browser.post(
        account(realm, "password"),
        {
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "sign_out_others": "on",
        },
    )
    assert done.status_code == 200 and "has been changed" in done.content.decode()
    assert User.objects.get(pk=alice.pk).check_password(NEW_PASSWORD)
    # The other browser's session ended; this one goes on.
    assert elsewhere.get(account(realm)).status_code == 302
    assert browser.get(account(realm)).status_code == 200
    assert UserSession.objects.filter(user=alice, ended__isnull=True).count() == 1


def test_a_wrong_current_password_counts_towards_the_lockout(alice):
    realm = alice.realm
    realm.brute_force_protected, realm.failure_factor = True, 2
    realm.save()
    browser = signed_in(realm)
    for _ in range(2):
        browser.post(
            account(realm, "password"),
            {"current": "not-it", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
    locked = browser.post(
        account(realm, "password"),
        {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert locked.status_code == 400
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)


def test_it_adds_renames_and_removes_authenticators(realm, alice):
    browser = signed_in(realm)
    assert "password only" in browser.get(account(realm, "signing-in")).content.decode()
    form = browser.get(account(realm, "signing-in/totp"))
    secret = secret_on_page(form.content.decode())
    assert secret_on_page(browser.get(account(realm, "signing-in/totp")).content.decode()) == secret
    shown = browser.post(
        account(realm, "signing-in/totp"), {"totp": totp_code(secret), "userLabel": "Phone"}
    )
    assert shown.status_code == 200 and shown.content.decode().count("<li><code>") == 10
    device = OTPDevice.objects.get(user=alice, confirmed=True)
    page = browser.get(account(realm, "signing-in")).content.decode()
    assert 'value="Phone"' in page and "10 unused recovery code(s)" in page

    renamed = browser.post(
        account(realm, "signing-in"), {"device": device.pk, "action": "rename", "name": "Tablet"}
    )
    assert renamed.status_code == 302
    assert OTPDevice.objects.get(pk=device.pk).name == "Tablet"
    # The next login asks for a code.
    assert login(Browser(), realm, "alice")["Location"] == f"/realms/{realm.name}/login/otp"
    browser.post(account(realm, "signing-in"), {"device": device.pk, "action": "remove"})
    assert not OTPDevice.objects.filter(user=alice).exists()
    assert otp.recovery_codes_left(alice) == 0
    types = set(Event.objects.filter(user=alice).values_list("type", flat=True))
    assert {"UPDATE_TOTP", "REMOVE_TOTP"} <= types


def test_it_never_touches_another_users_authenticator(realm, alice):
    bob = make_user(realm, "bob")
    device, _ = enrol(bob, name="Bob's phone")
    browser = signed_in(realm)
    for action in ("remove", "rename"):
        response = browser.post(
            account(realm, "signing-in"), {"device": device.pk, "action": action, "name": "x"}
        )
        assert response.status_code == 400
    assert OTPDevice.objects.get(pk=device.pk).name == "Bob's phone"
    assert "Bob" not in browser.get(account(realm, "signing-in")).content.decode()


def test_it_lists_and_ends_sessions(realm, alice):
    first = signed_in(realm, HTTP_USER_AGENT="Firefox on a laptop")
    second = signed_in(realm, HTTP_USER_AGENT="Safari on a phone")
    bob_session = signed_in(realm, make_user(realm, "bob").username)
    page = second.get(account(realm, "sessions")).content.decode()
    assert "Firefox on a laptop" in page and "Safari on a phone" in page
    assert "(this session)" in page
    firefox = UserSession.objects.get(user=alice, user_agent="Firefox on a laptop")
    bob = UserSession.objects.get(user__username="bob")
    # Another user's session id ends nothing.
    second.post(account(realm, "sessions"), {"sid": str(bob.sid)})
    second.post(account(realm, "sessions"), {"sid": "not-a-uuid"})
    assert bob_session.get(account(realm)).status_code == 200
    second.post(account(realm, "sessions"), {"sid": str(firefox.sid)})
    assert first.get(account(realm)).status_code == 302
    third = signed_in(realm)
    second.post(account(realm, "sessions"), {"action": "sign-out-others"})
    assert third.get(account(realm)).status_code == 302
    assert second.get(account(realm)).status_code == 200
    assert bob_session.get(account(realm)).status_code == 200


def test_it_shows_the_accounts_own_recent_events(realm, alice):
    make_user(realm, "bob")
    login(Browser(), realm, "bob", password="wrong-password")
    login(Browser(), realm, "alice", password="wrong-password")
    browser = signed_in(realm)
    page = browser.get(account(realm, "events")).content.decode()
    assert page.count("<td>LOGIN_ERROR</td>") == 1 and "<td>LOGIN</td>" in page
