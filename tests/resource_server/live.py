"""The order and payment services as real gunicorn processes beside the live authorization
server, and what a client does against them: log in through the code flow, call the APIs."""

import base64
import hashlib
import html
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
DEMO_REALM_FILE = ROOT / "deploy" / "demo-realm.json"
# The demo realm's users, clients and service account (deploy/demo-realm.json).
ALICE = ("alice", "alice-Password1", "69f07f1a-4083-4926-bd6f-03fe0f85a9ab")  # admin, user
BOB = ("bob", "bob-Password1", "a3c70e94-b2c7-4444-89e6-46fe23aad6a5")  # user
ORDERS_SERVICE_ACCOUNT = "46dd44cf-1810-420b-b79f-8e64ba7d24b1"
WEB_CLIENT = ("demo-web", "demo-web-secret")
REDIRECT_URI = "http://127.0.0.1:3000/callback"
# Small enough for the tests to reach, large enough for every other test's calls.
RATE_BURST = 40
MAX_BODY_BYTES = 4096


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """One service: migrated SQLite database under ``directory``, gunicorn on a free port."""

    def __init__(self, name: str, directory: Path, environment: dict, *, tls_ca: str = ""):
        """``tls_ca``: the service serves TLS (its ``AUTHSERVER_TLS_*`` in ``environment``), with a
        certificate of this CA."""
        self.name = name
        self.port = free_port()
        self.url = f"{'https' if tls_ca else 'http'}://127.0.0.1:{self.port}"
        self.verify = tls_ca or True
        self.database = directory / f"{name}.sqlite3"
        self.log = directory / f"{name}.log"
        self.environment = {
            **environment,
            "DJANGO_SETTINGS_MODULE": f"resource_server.{name}.settings",
            "RS_DATABASE_URL": f"sqlite:///{self.database}",
        }
        self.process: subprocess.Popen | None = None

    def manage(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "django", *arguments],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self) -> None:
        migrated = self.manage("migrate", "--no-input", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "deploy/gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    f"resource_server.{self.name}.wsgi",
                ],
                cwd=ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.name} exited:\n{self.log.read_text()}"
            try:
                health = requests.get(
                    f"{self.url}/api/public/health", timeout=5, verify=self.verify
                )
                if health.status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGINT: gunicorn's quick shutdown; the tests leave no request to finish.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def rows(self, query: str, *parameters) -> list[dict]:
        with sqlite3.connect(self.database) as database:
            database.row_factory = sqlite3.Row
            return [dict(row) for row in database.execute(query, parameters)]

    def execute(self, statement: str, *parameters) -> None:
        with sqlite3.connect(self.database, timeout=20) as database:
            database.execute(statement, parameters)


def service_environment(issuer: str, payments_url: str, redis_url: str | None) -> dict:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("RS_", "DATABASE_URL", "REDIS_URL", "DJANGO_", "PAYMENTS_"))
    }
    environment |= {
        "RS_ISSUER": issuer,
        "PAYMENTS_URL": payments_url,
        "RS_CLIENT_ID": "orders-service",
        "RS_CLIENT_SECRET": "orders-service-secret",
        "RS_RATE_REPLENISH": "1",
        "RS_RATE_BURST": str(RATE_BURST),
        "RS_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        "RS_ADMIN_ALLOWLIST": "127.0.0.1/32",
        "RS_CORS_ORIGINS": "http://localhost:5173",
        # Each test imports the realm afresh, with new keys: let every unknown kid refetch.
        "RS_JWKS_MIN_REFRESH_SECONDS": "0",
        "RS_LOG_LEVEL": "INFO",
    }
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return environment


# --- a client of the demo realm -----------------------------------------------------------------
def user_token(issuer: str, user: tuple, scope: str, *, dpop=None) -> str:
    """An access token of ``user`` for demo-web: log in through the authorization-code flow with
    PKCE, as a browser and a web application would; bound to ``dpop``'s key (a DPoPKey of
    tests/protocol/dpop_keys.py) when given."""
    return log_in(issuer, user, scope, dpop=dpop)[1]["access_token"]


def log_in(issuer: str, user: tuple, scope: str, *, dpop=None) -> tuple[requests.Session, dict]:
    """The browser (with its session cookie) and demo-web's token response of ``user``."""
    username, password, _ = user
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    browser = requests.Session()
    page = browser.get(
        f"{issuer}/protocol/openid-connect/auth",
        params={
            "client_id": WEB_CLIENT[0],
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": secrets.token_urlsafe(8),
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        },
        timeout=10,
    )
    assert page.status_code == 200, page.text[:500]
    answer = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": _field(page.text, "csrfmiddlewaretoken"),
            "next": _field(page.text, "next"),
            "username": username,
            "password": password,
        },
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    while answer.status_code in (301, 302, 303):
        location = urljoin(answer.url, answer.headers["Location"])
        if location.startswith(REDIRECT_URI):
            break
        answer = browser.get(location, allow_redirects=False, timeout=10)
    else:
        raise AssertionError(f"no redirect back to the client: {answer.status_code} {answer.text}")
    code = parse_qs(urlsplit(location).query)["code"][0]
    endpoint = f"{issuer}/protocol/openid-connect/token"
    tokens = requests.post(
        endpoint,
        headers={"DPoP": dpop.proof(endpoint)} if dpop is not None else {},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=WEB_CLIENT,
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    return browser, tokens.json()


def service_token(issuer: str) -> str:
    """orders-service's own token (client credentials): audience payments, no user."""
    answer = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=("orders-service", "orders-service-secret"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field in the login page"
    return html.unescape(found.group(1))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def insert_order(
    orders: Service, owner: tuple, *, item="A pot of tea", status="paid", age=0
) -> str:
    """An order saved straight into the order service's database (a factory, not the API)."""
    order_id = uuid.uuid4()
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - age))
    orders.execute(
        "INSERT INTO orders_order (id, owner_sub, owner_username, item, quantity, amount_cents,"
        " currency, status, payment_id, created) VALUES (?, ?, ?, ?, 1, 990, 'EUR', ?, '', ?)",
        order_id.hex,
        owner[2],
        owner[0],
        item,
        status,
        created,
    )
    return str(order_id)
