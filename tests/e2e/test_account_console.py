"""The account console in a real browser, keyboard and all: a user signs in through the realm's
login, edits the profile, adds an authenticator, changes the password signing out another
session, and sees the security events. The README's account screenshots are taken here."""

import pytest

from accounts.models import OTPDevice, User
from tests.accounts.otp_helpers import totp_code
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_console import DOCS

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Brand-New-Pass-42"


def sign_in(page, realm, next_path=""):
    page.goto(f"{realm.issuer}/account{next_path}")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click('button[type="submit"]')


def test_a_user_manages_the_account(browser, demo_setup, issuer_server):
    realm, _client, user = demo_setup
    other = browser.new_context().new_page()
    sign_in(other, realm)
    other.wait_for_selector("#email")

    page = browser.new_page(viewport={"width": 1100, "height": 760})
    sign_in(page, realm, "/signing-in")
    page.wait_for_selector("text=password only")
    assert page.url.endswith("/account/signing-in")

    page.goto(f"{realm.issuer}/account")
    page.fill("#firstName", "Alicia")
    page.keyboard.press("Enter")
    page.wait_for_selector('p.notice[role="status"]')
    page.screenshot(path=str(DOCS / "account-profile.png"))
    assert User.objects.get(pk=user.pk).first_name == "Alicia"

    page.goto(f"{realm.issuer}/account/signing-in/totp")
    secret = page.inner_text("#otp-secret").replace(" ", "")
    page.fill("#totp", totp_code(secret))
    page.fill("#userLabel", "Work phone")
    page.click('button[type="submit"]:has-text("Add")')
    page.wait_for_selector("ul.recovery-codes")
    page.click("text=Done")
    page.wait_for_selector('input[value="Work phone"]')
    page.screenshot(path=str(DOCS / "account-signing-in.png"))
    assert OTPDevice.objects.get(user=user).confirmed

    page.goto(f"{realm.issuer}/account/password")
    # Labels name every field: a screen reader (and Playwright) finds them by label.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_label("Sign out my other sessions").check()
    page.click('button[type="submit"]:has-text("Change password")')
    page.wait_for_selector("text=has been changed")

    other.reload()
    assert other.locator("#password").count() == 1, "the other session still lives"

    page.goto(f"{realm.issuer}/account/sessions")
    assert page.locator("tbody tr").count() == 1
    page.screenshot(path=str(DOCS / "account-sessions.png"))
    page.goto(f"{realm.issuer}/account/events")
    events = page.inner_text("table.events")
    for kind in ("LOGIN", "UPDATE_PROFILE", "UPDATE_TOTP", "UPDATE_PASSWORD"):
        assert kind in events
