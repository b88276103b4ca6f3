"""OpenID Connect Front-Channel Logout 1.0 in Debian's chromium, with and without JavaScript:
the end-session page loads the relying party's front-channel logout URI (with the issuer and the
session's sid) in a hidden frame, and only once that frame has loaded goes on to the
post-logout redirect URI."""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from accounts.models import User
from tests.e2e.conftest import CLIENT_SECRET, PASSWORD
from tests.factories import make_client, make_realm

pytestmark = pytest.mark.browser


class FrontChannelParty:
    """A relying party that records, in order, each request it gets and each answer it has
    finished sending; its front-channel logout URI answers after ``delay`` seconds."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []
        self.delay = 1.0
        events = self.events
        party = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/favicon.ico":
                    self.send_error(404)
                    return
                events.append(("request", self.path))
                if self.path.startswith("/frontchannel-logout"):
                    time.sleep(party.delay)
                body = b"<!doctype html><p>relying party</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                events.append(("served", self.path))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.redirect_uri = f"{self.origin}/callback"
        self.signed_out_uri = f"{self.origin}/signed-out"
        self.frontchannel_uri = f"{self.origin}/frontchannel-logout"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self, kind: str) -> list[str]:
        return [path for event, path in self.events if event == kind]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def party():
    found = FrontChannelParty()
    yield found
    found.close()


def id_token_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_in_and_out(browser, party, *, javascript: bool):
    """alice signs in to app in a new browser context and signs out at the issuer; the page,
    the ID token, the logout URL and the answers the browser got."""
    realm = make_realm("fc", display_name="Front channel")
    make_client(
        realm,
        "app",
        secret=CLIENT_SECRET,
        redirect_uris=party.redirect_uri,
        post_logout_redirect_uris=party.signed_out_uri,
        attributes={
            "frontchannel.logout": "true",
            "frontchannel.logout.url": party.frontchannel_uri,
        },
    )
    User.objects.create_user("alice", PASSWORD, realm=realm)
    issuer = realm.issuer
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    answers = {}
    page.on("response", lambda response: answers.setdefault(response.url, response))

    page.goto(
        f"{issuer}/protocol/openid-connect/auth?"
        + urlencode(
            {
                "client_id": "app",
                "response_type": "code",
                "redirect_uri": party.redirect_uri,
                "scope": "openid",
                "state": "in",
                "code_challenge": challenge.decode().rstrip("="),
                "code_challenge_method": "S256",
            }
        )
    )
    page.fill('input[name="username"]', "alice")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{party.redirect_uri}*")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    tokens = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": party.redirect_uri,
            "code_verifier": verifier,
        },
        auth=("app", CLIENT_SECRET),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    id_token = tokens.json()["id_token"]
    logout = f"{issuer}/protocol/openid-connect/logout?" + urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": party.signed_out_uri,
            "state": "out",
        }
    )

    page.goto(logout, wait_until="commit")
    return realm, page, id_token, logout, answers


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_it_loads_the_front_channel_uri_then_goes_on(browser, issuer_server, party, javascript):
    realm, page, id_token, logout, answers = sign_in_and_out(browser, party, javascript=javascript)
    issuer = realm.issuer

    page.wait_for_url(f"{party.signed_out_uri}*", timeout=15000)

    (framed,) = [path for path in party.paths("request") if path.startswith("/frontchannel")]
    assert parse_qs(urlsplit(framed).query) == {
        "iss": [issuer],
        "sid": [id_token_claims(id_token)["sid"]],
    }
    # The frame had its answer before the browser went on.
    served = party.events.index(("served", framed))
    arrived = party.events.index(("request", "/signed-out?state=out"))
    assert served < arrived, party.events
    policy = answers[logout].headers["content-security-policy"]
    assert policy.endswith(f"; frame-src {party.origin}")
    page.context.close()


def test_it_goes_on_when_a_relying_party_never_answers(browser, issuer_server, party):
    party.delay = 30
    _, page, _, _, _ = sign_in_and_out(browser, party, javascript=True)
    started = time.monotonic()

    page.wait_for_url(f"{party.signed_out_uri}*", timeout=15000)

    assert time.monotonic() - started < 10
    assert ("served", "/signed-out?state=out") in party.events
    page.context.close()
