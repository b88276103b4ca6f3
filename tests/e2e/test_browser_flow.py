"""A user of a real app: login -> consent -> code -> tokens -> userinfo -> refresh -> logout,
in Debian's chromium against a live server."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from jwcrypto import jwk, jwt

from tests.e2e.conftest import CLIENT_SECRET, PASSWORD

pytestmark = pytest.mark.browser


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def claims_of(issuer: str, token: str) -> dict:
    import json

    keys = jwk.JWKSet.from_json(
        requests.get(f"{issuer}/protocol/openid-connect/certs", timeout=10).text
    )
    return json.loads(jwt.JWT(jwt=token, key=keys, algs=["RS256", "ES256"]).claims)


def test_it_walks_a_user_through_the_whole_flow(browser, demo_setup, issuer_server, relying_party):
    realm, _client, user = demo_setup
    REDIRECT_URI, LOGOUT_REDIRECT_URI = (
        relying_party.redirect_uri,
        relying_party.logout_redirect_uri,
    )
    issuer = realm.issuer
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    page = browser.new_page()
    landed = relying_party.landed

    page.goto(
        f"{issuer}/protocol/openid-connect/auth?"
        + urlencode(
            {
                "client_id": "web",
                "response_type": "code",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid orders:read",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    assert "Shop" in page.content()
    page.fill('input[name="username"]', "alice")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')

    page.wait_for_selector('button[name="decision"][value="allow"]')
    assert "Read your orders" in page.content()
    page.click('button[name="decision"][value="allow"]')
    page.wait_for_url(f"{REDIRECT_URI}*")
    assert landed, "the browser never reached the relying party"
    callback = parse_qs(urlsplit(landed[-1]).query)
    assert callback["state"] == [state]
    assert callback["iss"] == [issuer]
    code = callback["code"][0]

    tokens = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=("web", CLIENT_SECRET),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    access = claims_of(issuer, body["access_token"])
    assert access["sub"] == str(user.subject)
    assert "orders" in access["aud"]
    assert access["realm_access"] == {"roles": ["customer"]}
    id_claims = claims_of(issuer, body["id_token"])
    assert id_claims["nonce"] == nonce
    assert id_claims["aud"] in ("web", ["web"])
    assert id_claims["email"] == "alice@example.com"

    info = requests.get(
        f"{issuer}/protocol/openid-connect/userinfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == str(user.subject)

    refreshed = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=("web", CLIENT_SECRET),
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    latest_refresh = refreshed.json()["refresh_token"]

    page.goto(
        f"{issuer}/protocol/openid-connect/logout?"
        + urlencode(
            {
                "id_token_hint": body["id_token"],
                "post_logout_redirect_uri": LOGOUT_REDIRECT_URI,
                "state": "bye",
            }
        )
    )
    page.wait_for_url(f"{LOGOUT_REDIRECT_URI}*")
    assert landed[-1].startswith(LOGOUT_REDIRECT_URI)
    assert parse_qs(urlsplit(landed[-1]).query)["state"] == ["bye"]

    # Logout ended the SSO session, and with it the session's refresh tokens.
    after = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": latest_refresh},
        auth=("web", CLIENT_SECRET),
        timeout=10,
    )
    assert after.status_code == 400, after.text
    assert after.json()["error"] == "invalid_grant"

    # A new login in the same browser asks for the password again: the session is gone.
    page.goto(f"{issuer}/account")
    assert page.locator('input[name="password"]').count() == 1
    page.close()


def test_it_signs_a_second_client_in_without_a_password(
    browser, demo_setup, issuer_server, relying_party
):
    realm, _client, _user = demo_setup
    from tests.factories import make_client

    REDIRECT_URI = relying_party.redirect_uri
    make_client(realm, "second", redirect_uris=REDIRECT_URI)
    page = browser.new_page()
    landed = relying_party.landed
    page.goto(f"{realm.issuer}/login")
    page.fill('input[name="username"]', "alice")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    _, challenge = pkce_pair()
    page.goto(
        f"{realm.issuer}/protocol/openid-connect/auth?"
        + urlencode(
            {
                "client_id": "second",
                "response_type": "code",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid",
                "state": "s2",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    page.wait_for_url(f"{REDIRECT_URI}*")
    assert landed and "code=" in landed[-1]
    page.close()
