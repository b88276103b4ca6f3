"""What the gateway does before a request reaches a service: the token check (RFC 6750
challenges), the rate limit per client, CORS, the body limit, the admin allowlist with the
client's real address, the request id, mutual TLS to the services, and slow clients kept away
from the workers."""

import contextlib
import json
import socket
import ssl
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.cluster.conftest import ALLOWED_ORIGIN, SERVICE_CLIENT, TRUSTED_PROXY

SLOW_CLIENTS = 200
# A normal request is answered in milliseconds; this bound leaves room for a loaded machine
# and is far below what a starved worker takes (gunicorn's 30 s timeout).
PROMPTLY = 3.0


@pytest.fixture
def service_token(cluster) -> str:
    """A token for the payment service (the orders-service client's payments:write)."""
    answer = cluster.token({"grant_type": "client_credentials"}, client=SERVICE_CLIENT)
    assert answer.status == 200, answer.body
    return answer.json()["access_token"]


def _upstream_of(cluster, request_id: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in cluster.log_lines():
            if line["request_id"] == request_id:
                return line["upstream"]
        time.sleep(0.05)
    pytest.fail(f"{request_id} is not in the gateway's access log")


# --- the token check ----------------------------------------------------------------------------
def test_it_refuses_a_request_without_a_token_before_the_service_sees_it(cluster):
    answer = cluster.request("GET", "/api/orders")
    assert answer.status == 401
    assert answer.all("WWW-Authenticate") == [
        'Bearer realm="orders", DPoP realm="orders", '
        'algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA"'
    ]
    assert answer.json()["error"] == "unauthorized"
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert _upstream_of(cluster, answer.request_id) == ""


def test_it_refuses_an_invalid_token_with_the_rfc_6750_challenge(cluster, service_token):
    # The service token is for the payment service, not for orders.
    answer = cluster.request(
        "GET", "/api/orders", headers={"Authorization": f"Bearer {service_token}"}
    )
    assert answer.status == 401
    [challenge] = answer.all("WWW-Authenticate")
    assert challenge.startswith('Bearer realm="orders", error="invalid_token"')
    assert answer.json()["error"] == "invalid_token"
    tampered = service_token[:-4] + ("AAAA" if not service_token.endswith("AAAA") else "BBBB")
    answer = cluster.request(
        "GET", "/api/payments", headers={"Authorization": f"Bearer {tampered}"}
    )
    assert answer.status == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_it_relays_a_valid_token_unchanged_to_the_service(cluster, service_token):
    answer = cluster.request(
        "GET", "/api/payments", headers={"Authorization": f"Bearer {service_token}"}
    )
    # The service validated the token itself (it refuses a request without one).
    assert answer.status == 200, answer.body
    assert "payments" in answer.json()
    assert _upstream_of(cluster, answer.request_id) == "{}:{}".format(*cluster.bind("payments"))


def test_it_limits_each_client_to_its_burst_then_answers_429(cluster, service_token):
    bearer = {"Authorization": f"Bearer {service_token}"}
    started = time.monotonic()
    # Faster than 10 a second whatever the machine's load: ten at a time.
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(
            pool.map(lambda _: cluster.request("GET", "/api/payments", headers=bearer), range(60))
        )
    elapsed = time.monotonic() - started
    limited = [answer for answer in answers if answer.status == 429]
    passed = [answer for answer in answers if answer.status == 200]
    assert len(passed) + len(limited) == len(answers)
    # The reference configuration: 20 at once, 10 more a second.
    assert 20 <= len(passed) <= 20 + 10 * elapsed + 1, (len(passed), elapsed)
    refused = limited[0]
    assert refused.json()["error"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) >= 1
    assert _upstream_of(cluster, refused.request_id) == ""


# --- request id ---------------------------------------------------------------------------------
def test_it_keeps_a_request_id_and_makes_one_when_there_is_none_or_a_bad_one(cluster):
    mine = f"trace-{uuid.uuid4().hex}"
    kept = cluster.request(
        "GET", "/realms/demo/.well-known/openid-configuration", headers={"X-Request-ID": mine}
    )
    assert kept.all("X-Request-ID") == [mine]
    assert _upstream_of(cluster, mine) in {*cluster.nodes.values()}
    made = cluster.request("GET", "/api/orders", headers={"X-Request-ID": "bad id\twith spaces"})
    [replaced] = made.all("X-Request-ID")
    assert replaced != "bad id\twith spaces" and len(replaced) == 32
    assert _upstream_of(cluster, replaced) == ""


# --- CORS ---------------------------------------------------------------------------------------
def test_it_answers_a_preflight_from_a_configured_origin_only(cluster):
    preflight = {
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    allowed = cluster.request("OPTIONS", "/api/orders", headers=preflight)
    assert allowed.status == 204
    assert allowed.all("Access-Control-Allow-Origin") == [ALLOWED_ORIGIN]
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    refused = cluster.request(
        "OPTIONS", "/api/orders", headers={**preflight, "Origin": "https://elsewhere.example"}
    )
    assert refused.status == 403
    assert refused.all("Access-Control-Allow-Origin") == []


def test_it_says_cors_once_on_answers_and_refusals(cluster, service_token):
    answer = cluster.request(
        "GET",
        "/api/payments",
        headers={"Origin": ALLOWED_ORIGIN, "Authorization": f"Bearer {service_token}"},
    )
    assert answer.status == 200
    assert answer.all("Access-Control-Allow-Origin") == [ALLOWED_ORIGIN]
    assert "WWW-Authenticate" in answer.headers["Access-Control-Expose-Headers"]
    assert answer.all("Vary") == ["Origin"]
    refused = cluster.request("GET", "/api/orders", headers={"Origin": ALLOWED_ORIGIN})
    assert refused.status == 401
    assert refused.all("Access-Control-Allow-Origin") == [ALLOWED_ORIGIN]
    other = cluster.request(
        "GET",
        "/api/payments",
        headers={"Origin": "https://elsewhere.example", "Authorization": f"Bearer {service_token}"},
    )
    assert other.all("Access-Control-Allow-Origin") == []


# --- body size ----------------------------------------------------------------------------------
def test_it_refuses_an_oversized_body_before_any_upstream(cluster, service_token):
    answer = cluster.request(
        "POST",
        "/api/payments",
        headers={"Authorization": f"Bearer {service_token}", "Content-Type": "application/json"},
        body=json.dumps({"reference": "x" * 20_000, "amount_cents": 1}).encode(),
    )
    assert answer.status == 413
    assert answer.json()["error"] == "request_too_large"
    assert _upstream_of(cluster, answer.request_id) == ""


# --- the admin allowlist, with the client's address from trusted hops only ---------------------
@pytest.mark.parametrize(
    ("source", "forwarded_for", "allowed"),
    [
        ("127.0.0.1", None, True),
        ("127.0.0.3", None, False),
        (TRUSTED_PROXY, "127.0.0.1", True),
        (TRUSTED_PROXY, "127.0.0.3", False),
        (TRUSTED_PROXY, "127.0.0.1, 127.0.0.3", False),
        ("127.0.0.3", "127.0.0.1", False),
    ],
)
def test_it_lets_only_allowlisted_addresses_reach_the_admin_routes(
    cluster, source, forwarded_for, allowed
):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    console = cluster.request("GET", "/admin/", headers=headers, source=source)
    api = cluster.request("GET", "/api/admin/orders", headers=headers, source=source)
    if allowed:
        assert console.status == 302, console.body  # to the console's login page
        assert api.status == 401  # the token check's turn
    else:
        assert console.status == 403
        assert api.status == 403
        assert api.json()["error"] == "forbidden"


# --- mutual TLS to the services -----------------------------------------------------------------
def test_a_service_refuses_a_connection_without_a_client_certificate(cluster):
    context = cluster.tls()
    with (
        socket.create_connection(cluster.bind("orders"), timeout=5) as raw,
        pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)),
        context.wrap_socket(raw, server_hostname="orders") as tls,
    ):
        tls.sendall(b"GET /api/public/health HTTP/1.1\r\nHost: orders\r\n\r\n")
        if not tls.recv(1024):
            raise ConnectionResetError("closed without an answer")


# --- slow clients -------------------------------------------------------------------------------
class SlowTlsClients:
    """``count`` TLS connections to the gateway that never finish their request: half send
    headers a byte at a time, half the body of a POST. A byte goes out on each every half second
    until the block ends."""

    def __init__(self, cluster, count: int = SLOW_CLIENTS):
        self.cluster = cluster
        self.count = count
        self.sockets: list[ssl.SSLSocket] = []
        self.stop = threading.Event()

    def __enter__(self):
        context = self.cluster.tls()
        for number in range(self.count):
            raw = socket.create_connection(("127.0.0.1", self.cluster.port), timeout=10)
            connection = context.wrap_socket(raw, server_hostname="127.0.0.1")
            if number % 2:
                connection.sendall(b"GET /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            else:
                connection.sendall(
                    b"POST /realms/demo/protocol/openid-connect/token HTTP/1.1\r\n"
                    b"Host: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 100000\r\n\r\ngrant_type="
                )
            self.sockets.append(connection)
        self.ticker = threading.Thread(target=self._trickle, daemon=True)
        self.ticker.start()
        return self

    def _trickle(self):
        while not self.stop.wait(0.5):
            for connection in self.sockets:
                with contextlib.suppress(OSError):
                    connection.send(b"a")

    def __exit__(self, *exc):
        self.stop.set()
        self.ticker.join(timeout=5)
        for connection in self.sockets:
            with contextlib.suppress(OSError):
                connection.close()


def test_it_serves_normal_requests_while_200_slow_clients_trickle(cluster, service_token):
    bearer = {"Authorization": f"Bearer {service_token}"}
    with SlowTlsClients(cluster):
        for _ in range(4):
            for method, path, headers in (
                ("GET", "/realms/demo/.well-known/openid-configuration", {}),
                ("GET", "/api/payments", bearer),
            ):
                started = time.monotonic()
                answer = cluster.request(method, path, headers=headers, timeout=15)
                elapsed = time.monotonic() - started
                assert answer.status == 200, (path, answer.status)
                assert elapsed < PROMPTLY, (path, elapsed)
