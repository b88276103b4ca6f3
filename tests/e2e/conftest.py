"""End-to-end tests: a live server, a real browser (Debian's chromium), real RP libraries."""

import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.models import User
from tests.factories import make_client, make_realm, make_scope

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in the test's thread; the test's own ORM calls
# are still synchronous, which Django would otherwise refuse next to a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CLIENT_SECRET = "e2e-client-secret-" + "q" * 30
PASSWORD = "Alice-Password-1"


@pytest.fixture
def issuer_server(live_server, settings, transactional_db):
    """The live server, with the public URL (hence every issuer) set to where it listens."""
    settings.AUTHSERVER_URL = live_server.url
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    return live_server


class RelyingParty:
    """A stand-in for the client application: a real HTTP server that records every URL the
    browser is sent to and answers with a small page."""

    def __init__(self):
        self.landed: list[str] = []
        landed = self.landed

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/favicon.ico":
                    landed.append(f"http://127.0.0.1:{self.server.server_port}{self.path}")
                body = b"<!doctype html><p>relying party</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.redirect_uri = f"{self.origin}/callback"
        self.logout_redirect_uri = f"{self.origin}/signed-out"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def relying_party():
    party = RelyingParty()
    yield party
    party.close()


@pytest.fixture
def demo_setup(issuer_server, relying_party):
    """A realm with a confidential web client (consent required) and a user with a role."""
    realm = make_realm("shop", display_name="Shop")
    orders = make_scope(realm, "orders:read", audience="orders", description="Read your orders")
    client = make_client(
        realm,
        "web",
        secret=CLIENT_SECRET,
        redirect_uris=relying_party.redirect_uri,
        post_logout_redirect_uris=relying_party.logout_redirect_uri,
        consent_required=True,
        name="Web shop",
    )
    client.default_client_scopes.add(*realm.client_scopes.filter(name__in=["profile", "email"]))
    client.optional_client_scopes.add(orders, realm.client_scopes.get(name="offline_access"))
    user = User.objects.create_user(
        "alice",
        PASSWORD,
        realm=realm,
        email="alice@example.com",
        email_verified=True,
        first_name="Alice",
        last_name="Liddell",
    )
    from tests.factories import make_role

    user.roles.add(make_role(realm, "customer"))
    return realm, client, user


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield instance
        finally:
            instance.close()
            # ORM calls made while Playwright's loop ran used a connection of their own.
            from django.db import connections

            connections.close_all()
