"""Keycloak's own browser adapter, keycloak-js from npm (pinned), unchanged and with its
defaults: login-required, the check-login iframe, fragment response mode, PKCE. A page of a
registered web origin logs in through our login page, loads the UserInfo, forces a refresh
and logs out, in Debian's chromium against a live server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from jwcrypto import jwk, jwt

from accounts.models import User, UserSession
from tests.e2e import npm
from tests.e2e.conftest import PASSWORD
from tests.factories import make_client, make_realm, make_scope

pytestmark = pytest.mark.browser

KEYCLOAK_JS_VERSION = "26.2.4"
APP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keycloak-js app</title></head>
<body><p>app</p><script type="module">
import Keycloak from "/keycloak.js";
const keycloak = new Keycloak({url: %(url)s, realm: %(realm)s, clientId: %(client_id)s});
window.keycloak = keycloak;
keycloak.init(%(init)s).then(
  (authenticated) => { window.authenticated = authenticated; },
  (error) => { window.initError = JSON.stringify(error && (error.message || error)); },
);
</script></body></html>
"""
# keycloak-js's silent check-sso page: it hands the URL it was sent to back to the app.
SILENT_PAGE = b"""<!doctype html>
<html lang="en"><body><script>
parent.postMessage(location.href, location.origin);
</script></body></html>
"""


@pytest.fixture(scope="session")
def keycloak_js(tmp_path_factory) -> Path:
    """The adapter's ES module, installed once per session from the npm registry."""
    folder = npm.install(tmp_path_factory, f"keycloak-js@{KEYCLOAK_JS_VERSION}")
    module = folder / "node_modules" / "keycloak-js" / "lib" / "keycloak.js"
    assert module.is_file(), "keycloak-js has no lib/keycloak.js"
    return module


class App:
    """The application: its page and the adapter, served from http://localhost:PORT, the same
    site as the live server (over http a browser keeps SameSite=Lax cookies to one site)."""

    def __init__(self, module: Path):
        self.config: dict = {}
        # Each page's init options: keycloak-js's defaults with login-required, or check-sso
        # with a silent check.
        self.pages = {
            "/app.html": lambda app: {"onLoad": "login-required"},
            "/sso.html": lambda app: {
                "onLoad": "check-sso",
                "silentCheckSsoRedirectUri": app.silent_url,
            },
        }
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0].split("#")[0]
                if path == "/keycloak.js":
                    body, kind = module.read_bytes(), "text/javascript"
                elif path in app.pages:
                    values = {name: json.dumps(value) for name, value in app.config.items()}
                    values["init"] = json.dumps(app.pages[path](app))
                    body, kind = (APP_PAGE % values).encode(), "text/html"
                elif path == "/silent-check-sso.html":
                    body, kind = SILENT_PAGE, "text/html"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_port}"
        self.url = f"{self.origin}/app.html"
        self.sso_url = f"{self.origin}/sso.html"
        self.silent_url = f"{self.origin}/silent-check-sso.html"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app(keycloak_js):
    served = App(keycloak_js)
    yield served
    served.close()


def verified(issuer: str, token: str) -> dict:
    keys = jwk.JWKSet.from_json(
        requests.get(f"{issuer}/protocol/openid-connect/certs", timeout=10).text
    )
    return json.loads(jwt.JWT(jwt=token, key=keys, algs=["RS256", "ES256"]).claims)


def shop_with_spa(app: App, server_url: str) -> tuple:
    """A realm with keycloak-js's public client, registered at the app's page and origin."""
    realm = make_realm("shop", display_name="Shop")
    client = make_client(
        realm,
        "spa",
        client_type="public",
        secret="",
        redirect_uris=f"{app.url} {app.sso_url} {app.silent_url}",
        post_logout_redirect_uris=app.url,
        allowed_origins=app.origin,
    )
    client.default_client_scopes.add(*realm.client_scopes.filter(name__in=["profile", "email"]))
    # Keycloak's tokens are for its account service too (loadUserProfile reads it).
    client.default_client_scopes.add(make_scope(realm, "account-audience", audience="account"))
    user = User.objects.create_user(
        "alice", PASSWORD, realm=realm, email="alice@example.com", email_verified=True
    )
    app.config = {"url": server_url, "realm": realm.name, "client_id": "spa"}
    return realm, user


def log_in(page, app: App, errors: list[str]) -> None:
    """Open the app; keycloak-js sends the browser to our login page and back."""
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(app.url)
    page.wait_for_selector('input[name="username"]')
    asked = unquote(page.url)
    assert "response_mode=fragment" in asked
    assert "code_challenge_method=S256" in asked
    page.fill('input[name="username"]', "alice")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_function("window.authenticated !== undefined || window.initError", timeout=20000)
    assert page.evaluate("window.initError") is None, errors
    assert page.evaluate("window.authenticated") is True
    assert page.url == app.url, "the code was not taken out of the fragment"


def test_it_logs_in_refreshes_and_logs_out_with_keycloak_js(browser, issuer_server, app):
    realm, user = shop_with_spa(app, issuer_server.url)
    issuer = realm.issuer
    page = browser.new_page()
    errors: list[str] = []
    log_in(page, app, errors)

    token = page.evaluate("keycloak.token")
    claims = verified(issuer, token)
    assert claims["sub"] == str(user.subject)
    assert claims["azp"] == "spa"
    session = UserSession.objects.get(user=user, ended__isnull=True)
    assert claims["sid"] == str(session.sid)
    assert verified(issuer, page.evaluate("keycloak.idToken"))["aud"] in ("spa", ["spa"])

    info = page.evaluate("keycloak.loadUserInfo()")
    assert info["sub"] == str(user.subject)
    assert info["preferred_username"] == "alice"
    profile = page.evaluate("keycloak.loadUserProfile()")
    assert profile["id"] == str(user.subject)
    assert (profile["username"], profile["email"]) == ("alice", "alice@example.com")

    # The check-login iframe is asked first; "unchanged" keeps the tokens, so the refresh runs.
    assert page.evaluate("keycloak.updateToken(-1)") is True
    refreshed = page.evaluate("keycloak.token")
    assert refreshed != token
    assert verified(issuer, refreshed)["sid"] == str(session.sid)
    refresh_token = page.evaluate("keycloak.refreshToken")

    with page.expect_navigation(url=f"{issuer}/login*", timeout=20000):
        page.evaluate("keycloak.logout()")
    session.refresh_from_db()
    assert session.ended is not None
    answer = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": "spa"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert not errors, errors


def test_it_notices_a_logout_in_another_tab(browser, issuer_server, app):
    realm, user = shop_with_spa(app, issuer_server.url)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    log_in(page, app, errors)
    id_token = page.evaluate("keycloak.idToken")

    other = context.new_page()
    other.goto(
        f"{realm.issuer}/protocol/openid-connect/logout?client_id=spa&id_token_hint={id_token}"
    )
    assert UserSession.objects.get(user=user).ended is not None

    # keycloak-js asks its login-status iframe every 5 seconds; the answer is now "changed":
    # it drops its tokens and, as login-required asks, sends the user to log in again.
    page.wait_for_url(f"{realm.issuer}/login*", timeout=20000)
    context.close()


def test_it_checks_sso_silently_with_keycloak_js(browser, issuer_server, app):
    realm, user = shop_with_spa(app, issuer_server.url)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(app.sso_url)
    page.wait_for_function("window.authenticated !== undefined || window.initError", timeout=20000)
    assert page.evaluate("window.authenticated") is False, errors
    assert page.url == app.sso_url

    log_in(context.new_page(), app, errors)
    page.goto(app.sso_url)
    page.wait_for_function("window.authenticated !== undefined || window.initError", timeout=20000)
    assert page.evaluate("window.initError") is None, errors
    assert page.evaluate("window.authenticated") is True
    assert page.url == app.sso_url, "check-sso must not leave the page"
    claims = verified(realm.issuer, page.evaluate("keycloak.token"))
    assert claims["sid"] == str(UserSession.objects.get(user=user, ended__isnull=True).sid)
    assert not errors, errors
    context.close()
