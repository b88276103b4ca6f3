"""Two-step verification in a real browser: a user enrols an authenticator at login (the
CONFIGURE_TOTP required action), then signs in with a code; the ID token says so."""

import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.accounts.otp_helpers import totp_code
from tests.e2e.conftest import CLIENT_SECRET, PASSWORD
from tests.e2e.test_browser_flow import claims_of, pkce_pair

# The README's screenshots: written over docs/ with AUTHSERVER_UPDATE_SCREENSHOTS=1.
from tests.e2e.test_console import DOCS

pytestmark = pytest.mark.browser


def authorize(page, issuer, redirect_uri, challenge, **extra):
    page.goto(
        f"{issuer}/protocol/openid-connect/auth?"
        + urlencode(
            {
                "client_id": "web",
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": "openid",
                "state": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                **extra,
            }
        )
    )


def id_token(issuer, relying_party, verifier) -> dict:
    code = parse_qs(urlsplit(relying_party.landed[-1]).query)["code"][0]
    tokens = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": relying_party.redirect_uri,
            "code_verifier": verifier,
        },
        auth=("web", CLIENT_SECRET),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    return claims_of(issuer, tokens.json()["id_token"])


def test_it_enrols_an_authenticator_and_signs_in_with_it(
    browser, demo_setup, issuer_server, relying_party
):
    realm, client, user = demo_setup
    client.consent_required = False
    client.save()
    user.required_actions = ["CONFIGURE_TOTP"]
    user.save()
    issuer = realm.issuer

    page = browser.new_page()
    verifier, challenge = pkce_pair()
    authorize(page, issuer, relying_party.redirect_uri, challenge)
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click('button[type="submit"]')

    page.wait_for_selector("figure.qr svg")
    secret = page.inner_text("#otp-secret").replace(" ", "")
    page.screenshot(path=str(DOCS / "login-configure-totp.png"), full_page=True)
    page.fill("#totp", totp_code(secret))
    page.fill("#userLabel", "Alice's phone")
    page.click('button[type="submit"]')

    page.wait_for_selector("ul.recovery-codes")
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.click('button[type="submit"]')
    page.wait_for_url(f"{relying_party.redirect_uri}*")
    claims = id_token(issuer, relying_party, verifier)
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "2"

    # A new browser: the password, then a code (the next period's: the current one is spent).
    fresh = browser.new_context().new_page()
    verifier, challenge = pkce_pair()
    authorize(fresh, issuer, relying_party.redirect_uri, challenge)
    fresh.fill("#username", "alice")
    fresh.fill("#password", PASSWORD)
    fresh.click('button[type="submit"]')
    fresh.wait_for_selector("#otp")
    assert fresh.evaluate("document.activeElement.id") == "otp"
    fresh.screenshot(path=str(DOCS / "login-otp.png"), full_page=True)
    fresh.fill("#otp", "000000")
    fresh.click('button[type="submit"]')
    fresh.wait_for_selector('p.error[role="alert"]')
    fresh.fill("#otp", totp_code(secret, at=time.time() + 30))
    fresh.click('button[type="submit"]')
    fresh.wait_for_url(f"{relying_party.redirect_uri}*")
    assert id_token(issuer, relying_party, verifier)["amr"] == ["pwd", "otp", "mfa"]
