"""The admin console in Debian's chromium against a live server: an operator sets up a realm,
a client, a role and a user, and that user then signs in to a real client; keys are rotated and
a session revoked from the console; a realm administrator sees nothing of another realm.

The screenshots in docs/ (the README's console tour) are taken here: every run takes them, and
``AUTHSERVER_UPDATE_SCREENSHOTS=1`` writes them over the ones in docs/.
"""

import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Permission
from jwcrypto import jwk, jws, jwt

from accounts.models import Realm, User
from authserver.keys.models import SigningKey
from authserver.models import Client
from tests.e2e.test_browser_flow import pkce_pair
from tests.factories import make_client, make_realm, make_user

pytestmark = pytest.mark.browser

DOCS = (
    Path(settings.BASE_DIR) / "docs"
    if os.environ.get("AUTHSERVER_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="console-screenshots-"))
)
ROOT_PASSWORD = "Root-Password-1"
ALICE_PASSWORD = "Alice-Password-1"
SECRET = re.compile(r"it will not be shown again: ([A-Za-z0-9]+)")


def _shoot(page, name: str) -> None:
    page.screenshot(path=str(DOCS / f"console-{name}.png"), full_page=False)


def _console_page(browser, server, username, password):
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click('input[type="submit"]')
    page.wait_for_url(f"{server.url}/admin/")
    return page


def _run_action(page, url: str, action: str, pk: int) -> None:
    """Select one row, run ``action``, and confirm on the intermediate page."""
    page.goto(url)
    page.check(f'input[name="_selected_action"][value="{pk}"]')
    page.select_option('select[name="action"]', action)
    page.click('button[name="index"]')
    page.wait_for_selector("input.console-danger")
    page.click("input.console-danger")
    page.wait_for_selector(".messagelist .success")


def _claims(issuer: str, token: str) -> tuple[dict, dict]:
    keys = jwk.JWKSet.from_json(
        requests.get(f"{issuer}/protocol/openid-connect/certs", timeout=10).text
    )
    header = jws.JWS()
    header.deserialize(token)
    verified = jwt.JWT(jwt=token, key=keys, algs=["RS256", "ES256"])
    return json.loads(header.objects["protected"]), json.loads(verified.claims)


def _token(issuer, client_id, secret, **data):
    return requests.post(
        f"{issuer}/protocol/openid-connect/token", data=data, auth=(client_id, secret), timeout=10
    )


def test_it_sets_up_a_realm_in_the_console_and_signs_its_user_in(
    browser, issuer_server, relying_party
):
    User.objects.create_superuser("root", ROOT_PASSWORD)
    server = issuer_server
    page = _console_page(browser, server, "root", ROOT_PASSWORD)
    _shoot(page, "home")

    # A realm.
    page.goto(f"{server.url}/admin/accounts/realm/add/")
    page.fill("#id_name", "acme")
    page.fill("#id_display_name", "Acme")
    page.click('input[name="_save"]')
    page.wait_for_selector(".messagelist .success")
    realm = Realm.objects.get(name="acme")

    # A confidential client: its secret is shown once.
    page.goto(f"{server.url}/admin/authserver/client/add/")
    page.select_option("#id_realm", label="acme")
    page.fill("#id_client_id", "acme-web")
    page.fill("#id_name", "Acme web shop")
    page.check('input[name="kind"][value="confidential"]')
    page.fill("#id_redirect_uris", relying_party.redirect_uri)
    page.click('input[name="_save"]')
    page.wait_for_selector(".messagelist .warning")
    secret = SECRET.search(page.inner_text(".messagelist")).group(1)
    _shoot(page, "client-secret")
    client = Client.objects.get(realm=realm, client_id="acme-web")
    page.goto(f"{server.url}/admin/authserver/client/{client.pk}/change/")
    assert secret not in page.content()
    page.goto(f"{server.url}/admin/authserver/client/?realm__id__exact={realm.pk}")
    _shoot(page, "clients")

    # A realm role, and a user who gets it.
    page.goto(f"{server.url}/admin/accounts/role/add/")
    page.select_option("#id_realm", label="acme")
    page.fill("#id_name", "reader")
    page.fill("#id_description", "Reads the catalogue")
    page.click('input[name="_save"]')
    page.wait_for_selector(".messagelist .success")

    page.goto(f"{server.url}/admin/accounts/user/add/")
    page.select_option("#id_realm", label="acme")
    page.fill("#id_username", "alice")
    page.fill("#id_email", "alice@example.com")
    page.fill("#id_password1", ALICE_PASSWORD)
    page.fill("#id_password2", ALICE_PASSWORD)
    page.uncheck("#id_password_temporary")
    page.click('input[name="_continue"]')
    page.wait_for_selector("#id_roles_from")
    page.select_option("#id_roles_from", label="reader")
    page.click("#id_roles_add")
    page.click('input[name="_save"]')
    page.wait_for_selector(".messagelist .success")
    alice = User.objects.get(realm=realm, username="alice")
    assert [role.name for role in alice.roles.all()] == ["reader"]

    # The user signs in to the client: authorization code with PKCE, in the browser.
    issuer = realm.issuer
    verifier, challenge = pkce_pair()
    user_page = browser.new_page()
    user_page.goto(
        f"{issuer}/protocol/openid-connect/auth?"
        + urlencode(
            {
                "client_id": "acme-web",
                "response_type": "code",
                "redirect_uri": relying_party.redirect_uri,
                "scope": "openid",
                "state": "st",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    assert "Acme" in user_page.content()
    user_page.fill('input[name="username"]', "alice")
    user_page.fill('input[name="password"]', ALICE_PASSWORD)
    user_page.click('button[type="submit"]')
    user_page.wait_for_url(f"{relying_party.redirect_uri}*")
    code = parse_qs(urlsplit(relying_party.landed[-1]).query)["code"][0]
    tokens = _token(
        issuer,
        "acme-web",
        secret,
        grant_type="authorization_code",
        code=code,
        redirect_uri=relying_party.redirect_uri,
        code_verifier=verifier,
    )
    assert tokens.status_code == 200, tokens.text
    header, claims = _claims(issuer, tokens.json()["access_token"])
    assert claims["sub"] == str(alice.subject)
    assert "reader" in claims["realm_access"]["roles"]
    first_kid = header["kid"]

    # Keys rotated from the console: the next token is signed with the new key.
    _run_action(page, f"{server.url}/admin/accounts/realm/", "rotate_signing_keys", realm.pk)
    new_kid = SigningKey.objects.get(realm=realm, state="active").kid
    assert new_kid != first_kid
    page.goto(f"{server.url}/admin/authserver/signingkey/?realm__id__exact={realm.pk}")
    assert new_kid in page.content() and first_kid in page.content()
    _shoot(page, "keys")
    refreshed = _token(
        issuer,
        "acme-web",
        secret,
        grant_type="refresh_token",
        refresh_token=tokens.json()["refresh_token"],
    )
    assert refreshed.status_code == 200, refreshed.text
    header, claims = _claims(issuer, refreshed.json()["access_token"])
    assert header["kid"] == new_kid
    assert "reader" in claims["realm_access"]["roles"]

    # The session revoked from the console: its refresh token stops working.
    session = alice.sessions.get(ended__isnull=True)
    page.goto(f"{server.url}/admin/accounts/user/{alice.pk}/change/")
    assert "1 active session(s)" in page.content()
    _shoot(page, "user")
    page.goto(f"{server.url}/admin/accounts/usersession/?realm__id__exact={realm.pk}")
    _shoot(page, "sessions")
    _run_action(
        page,
        f"{server.url}/admin/accounts/usersession/?realm__id__exact={realm.pk}",
        "revoke_sessions",
        session.pk,
    )
    after = _token(
        issuer,
        "acme-web",
        secret,
        grant_type="refresh_token",
        refresh_token=refreshed.json()["refresh_token"],
    )
    assert after.status_code == 400, after.text
    assert after.json()["error"] == "invalid_grant"

    page.goto(f"{server.url}/admin/accounts/event/?realm__id__exact={realm.pk}")
    assert "ACTION" in page.content()
    _shoot(page, "events")
    page.close()
    user_page.close()


def test_it_shows_a_realm_administrator_nothing_of_another_realm(browser, issuer_server):
    server = issuer_server
    alpha, bravo = make_realm("alpha"), make_realm("bravo")
    alpha_client = make_client(alpha, "alpha-web")
    bravo_client = make_client(bravo, "bravo-web")
    bravo_user = make_user(bravo, "bravo-user")
    operator = make_user(None, "operator", password=ROOT_PASSWORD, is_staff=True)
    operator.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["accounts", "authserver"])
    )
    operator.administered_realms.add(alpha)

    page = _console_page(browser, server, "operator", ROOT_PASSWORD)
    page.goto(f"{server.url}/admin/authserver/client/")
    assert "alpha-web" in page.content()
    assert "bravo" not in page.content()
    _shoot(page, "realm-administrator")
    page.goto(f"{server.url}/admin/accounts/realm/")
    assert "alpha" in page.content() and "bravo" not in page.content()
    for url in [
        f"/admin/authserver/client/{bravo_client.pk}/change/",
        f"/admin/accounts/user/{bravo_user.pk}/change/",
        f"/admin/accounts/realm/{bravo.pk}/change/",
        f"/admin/accounts/realm/{bravo.pk}/export/",
        f"/admin/authserver/client/{bravo_client.pk}/delete/",
    ]:
        response = page.goto(f"{server.url}{url}")
        assert response.status == 404, url
    assert (
        page.goto(f"{server.url}/admin/authserver/client/{alpha_client.pk}/change/").status == 200
    )
    page.close()


def test_it_runs_the_console_under_the_strict_content_security_policy(browser, issuer_server):
    server = issuer_server
    realm = make_realm("alpha")
    user = make_user(realm, "alice")
    User.objects.create_superuser("root", ROOT_PASSWORD)
    page = _console_page(browser, server, "root", ROOT_PASSWORD)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    for url in [
        "/admin/",
        "/admin/authserver/client/add/",
        f"/admin/accounts/user/{user.pk}/change/",
        "/admin/accounts/realm/import/",
        "/admin/accounts/event/",
    ]:
        response = page.goto(f"{server.url}{url}")
        assert "content-security-policy" in response.headers  # Playwright lower-cases them
    # The role picker's script ran: it builds the two-box widget.
    page.goto(f"{server.url}/admin/accounts/user/{user.pk}/change/")
    page.wait_for_selector("#id_roles_from")
    assert violations == []
    page.close()
