"""Mail in a real browser: a user who forgot the password asks for a link, which the realm
sends through its smtpServer to a real SMTP server (aiosmtpd); the test follows it in
Chromium, chooses a new password and signs in with it. Then VERIFY_EMAIL at login."""

import pytest

from accounts.models import User
from tests.e2e.conftest import PASSWORD
from tests.mailbox import mailbox  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Brand-New-Pass-42"


def test_a_user_resets_a_forgotten_password_by_mail(browser, demo_setup, issuer_server, mailbox):  # noqa: F811
    realm, _client, user = demo_setup
    realm.reset_password_allowed = True
    realm.smtp_server = mailbox.smtp_server
    realm.save()
    page = browser.new_page()
    page.goto(f"{realm.issuer}/account")
    page.click("text=Forgot your password?")
    page.get_by_label("Username or e-mail").fill("alice@example.com")
    page.click('button[type="submit"]')
    page.wait_for_selector("text=Check your e-mail")

    (message,) = mailbox.to("alice@example.com")
    page.goto(mailbox.link_in(message, "/login/action/reset-password"))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("text=Your password has been changed")
    page.get_by_role("link", name="Sign in").click()
    page.fill("#username", "alice")
    page.fill("#password", NEW_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("#email")
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_a_user_verifies_the_address_at_login(browser, demo_setup, issuer_server, mailbox):  # noqa: F811
    realm, _client, user = demo_setup
    realm.verify_email = True
    realm.smtp_server = mailbox.smtp_server
    realm.save()
    User.objects.filter(pk=user.pk).update(email_verified=False)
    page = browser.new_page()
    page.goto(f"{realm.issuer}/account")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("text=Verify your e-mail address")
    (message,) = mailbox.to("alice@example.com")
    page.goto(mailbox.link_in(message, "/login/action/verify-email"))
    page.click('button[type="submit"]:has-text("Confirm")')
    page.wait_for_selector("#email")
    assert User.objects.get(pk=user.pk).email_verified


def test_a_visitor_registers_and_verifies_the_address(browser, demo_setup, issuer_server, mailbox):  # noqa: F811
    realm, _client, _user = demo_setup
    realm.registration_allowed = True
    realm.registration_email_as_username = True
    realm.verify_email = True
    realm.smtp_server = mailbox.smtp_server
    realm.save()
    page = browser.new_page()
    page.goto(f"{realm.issuer}/account")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("E-mail").fill("dora@example.com")
    page.get_by_label("First name").fill("Dora")
    page.get_by_label("Last name").fill("Explorer")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("text=Verify your e-mail address")
    (message,) = mailbox.to("dora@example.com")
    page.goto(mailbox.link_in(message, "/login/action/verify-email"))
    page.click('button[type="submit"]:has-text("Confirm")')
    page.wait_for_selector("#email")
    dora = User.objects.get(realm=realm, username="dora@example.com")
    assert dora.email_verified and dora.check_password(NEW_PASSWORD)
