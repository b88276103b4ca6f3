"""Passkeys in Chromium with its virtual authenticator (DevTools' WebAuthn domain, through
Playwright's CDP session): a user adds a passkey in the account console, signs out, and signs
in again with the password and the passkey; the ID token says so."""

import pytest

from accounts.models import Passkey
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_browser_flow import pkce_pair
from tests.e2e.test_console import DOCS
from tests.e2e.test_two_factor import authorize, id_token

pytestmark = pytest.mark.browser


def with_virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_a_user_adds_a_passkey_and_signs_in_with_it(
    browser, demo_setup, issuer_server, relying_party
):
    realm, client, user = demo_setup
    client.consent_required = False
    client.save()
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    with_virtual_authenticator(page)
    page.goto(f"{realm.issuer}/account/signing-in/passkey")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("#passkey-name")
    page.fill("#passkey-name", "Laptop")
    page.click('button:has-text("Add the passkey")')
    page.wait_for_selector("li[data-passkey] >> text=Laptop")
    page.screenshot(path=str(DOCS / "account-passkeys.png"), full_page=True)
    assert Passkey.objects.get(user=user).name == "Laptop"

    page.click('button:has-text("Sign out")')
    page.wait_for_selector("#password")
    verifier, challenge = pkce_pair()
    authorize(page, realm.issuer, relying_party.redirect_uri, challenge)
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector('button:has-text("Use a passkey")')
    page.click('button:has-text("Use a passkey")')
    page.wait_for_url(f"{relying_party.redirect_uri}*")
    claims = id_token(realm.issuer, relying_party, verifier)
    assert claims["amr"] == ["pwd", "hwk", "mfa"] and claims["acr"] == "2"
    assert Passkey.objects.get(user=user).last_used is not None


def test_a_user_signs_in_with_a_passwordless_passkey_alone(
    browser, demo_setup, issuer_server, relying_party
):
    realm, client, user = demo_setup
    client.consent_required = False
    client.save()
    realm.webauthn_policy_passwordless = {"passkeysEnabled": True}
    realm.save()
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    with_virtual_authenticator(page)
    page.goto(f"{realm.issuer}/account/signing-in/passwordless-passkey")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("#passkey-name")
    page.fill("#passkey-name", "Phone")
    page.click('button:has-text("Add the passkey")')
    page.wait_for_selector("li[data-passkey] >> text=Phone")
    passkey = Passkey.objects.get(user=user)
    assert passkey.passwordless and passkey.name == "Phone"

    page.click('button:has-text("Sign out")')
    page.wait_for_selector("#password")
    verifier, challenge = pkce_pair()
    authorize(page, realm.issuer, relying_party.redirect_uri, challenge)
    page.wait_for_selector('button:has-text("Sign in with a passkey")')
    page.screenshot(path=str(DOCS / "login-passkey.png"), full_page=True)
    # No username, no password: the page asks the authenticator at once, which verifies the
    # user (isUserVerified) and names them by the discoverable credential.
    page.click('button:has-text("Sign in with a passkey")')
    page.wait_for_url(f"{relying_party.redirect_uri}*")
    claims = id_token(realm.issuer, relying_party, verifier)
    assert claims["sub"] == str(user.subject)
    assert claims["amr"] == ["hwk", "mfa"] and claims["acr"] == "2"
    assert Passkey.objects.get(user=user).last_used is not None


def test_an_administrator_asks_for_a_passkey_at_the_next_login(
    browser, demo_setup, issuer_server, relying_party
):
    realm, client, user = demo_setup
    client.consent_required = False
    client.save()
    user.required_actions = ["webauthn-register"]
    user.save()
    page = browser.new_page()
    with_virtual_authenticator(page)
    verifier, challenge = pkce_pair()
    authorize(page, realm.issuer, relying_party.redirect_uri, challenge)
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("#passkey-name")
    page.fill("#passkey-name", "Laptop")
    page.click('button:has-text("Add the passkey")')
    page.wait_for_url(f"{relying_party.redirect_uri}*")
    claims = id_token(realm.issuer, relying_party, verifier)
    assert claims["amr"] == ["pwd", "hwk", "mfa"] and claims["acr"] == "2"
    assert Passkey.objects.get(user=user).name == "Laptop"
    user.refresh_from_db()
    assert user.required_actions == []
