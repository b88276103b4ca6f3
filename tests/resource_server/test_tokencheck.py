"""The gateway's token check (resource_server.tokencheck) at its WSGI boundary, as nginx's
auth_request calls it: the fake issuer of tests/resource_server/fakes.py, Redis for the
limits (emptied before each test, as the whole cache is)."""

import json
import uuid

import pytest
from django.conf import settings

from resource_server.auth.http import Response
from resource_server.env import ConfigurationError
from resource_server.tokencheck import config as check_config
from resource_server.tokencheck.app import TokenCheck
from resource_server.tokencheck.config import CheckConfig, Route
from resource_server.tokencheck.limiter import Limiter
from tests.resource_server import fakes

INTROSPECT = f"{fakes.ISSUER}/protocol/openid-connect/token/introspect"


def _check(server, clock, *, burst=20, introspect=False, **routes) -> TokenCheck:
    config = CheckConfig(
        issuer=fakes.ISSUER,
        routes=routes or {"orders": Route("orders")},
        client_id="gateway",
        client_secret="gateway-secret",
        introspect=introspect,
        cache_seconds=1,
        rate_replenish=1,
        rate_burst=burst,
        redis_url=settings.REDIS_URL,
    )
    return TokenCheck(config, limiter=Limiter.from_config(config), fetch=server.fetch, clock=clock)


def _ask(
    check: TokenCheck, path: str = "/check/orders", *, token=None, authorization=None, **headers
):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_X_REAL_IP": "192.0.2.1"}
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    started = {}

    def start_response(status, headers):
        started["status"] = int(status.split()[0])
        started["headers"] = dict(headers)

    b"".join(check(environ, start_response))
    return started["status"], started["headers"]


@pytest.fixture
def clock():
    return fakes.Clock()


@pytest.fixture
def key():
    return fakes.rsa_key("k1")


@pytest.fixture
def server(key):
    return fakes.FakeAuthorizationServer(key)


def _token(key, clock, **claims) -> str:
    return fakes.sign(
        key, fakes.claims(clock, **{"client_id": f"web-{uuid.uuid4().hex}", **claims})
    )


def test_it_lets_a_valid_token_through_naming_its_client(server, clock, key):
    token = _token(key, clock, client_id="web-app")
    status, headers = _ask(_check(server, clock), token=token)
    assert status == 204
    assert headers["X-Gateway-Client"] == "web-app"
    assert headers["X-RateLimit-Remaining"] == "19"


def test_it_refuses_a_request_without_a_token_with_the_bare_challenge(server, clock):
    status, headers = _ask(_check(server, clock))
    assert status == 401
    assert headers["WWW-Authenticate"] == (
        'Bearer realm="orders", DPoP realm="orders", '
        'algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA"'
    )
    assert headers["X-Gateway-Status"] == "401"


def test_it_lets_a_bound_token_through_with_the_dpop_scheme_and_a_proof(server, clock, key):
    from tests.protocol.dpop_keys import DPoPKey

    holder = DPoPKey()
    token = _token(key, clock, client_id="spa", cnf={"jkt": holder.jkt})
    check = _check(server, clock)

    # The proof itself is the service's to check (it knows the URL, keeps the replay cache).
    status, headers = _ask(check, authorization=f"DPoP {token}", dpop="a proof")
    assert (status, headers.get("X-Gateway-Client")) == (204, "spa")

    status, headers = _ask(check, authorization=f"DPoP {token}")
    assert (status, headers["X-Gateway-Error"]) == (401, "invalid_dpop_proof")
    assert headers["WWW-Authenticate"].startswith('DPoP realm="orders", error="invalid_dpop_proof"')

    status, headers = _ask(check, token=token)
    assert (status, headers["X-Gateway-Error"]) == (401, "invalid_token")
    assert headers["WWW-Authenticate"].startswith('Bearer realm="orders", error="invalid_token"')


def test_it_refuses_an_unbound_token_with_the_dpop_scheme(server, clock, key):
    token = _token(key, clock)

    status, headers = _ask(_check(server, clock), authorization=f"DPoP {token}", dpop="a proof")

    assert (status, headers["X-Gateway-Error"]) == (401, "invalid_token")


def test_it_refuses_a_token_for_another_audience(server, clock, key):
    status, headers = _ask(_check(server, clock), token=_token(key, clock, aud=["payments"]))
    assert (status, headers["X-Gateway-Status"], headers["X-Gateway-Error"]) == (
        401,
        "401",
        "invalid_token",
    )
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]


def test_it_answers_insufficient_scope_with_the_scopes_a_route_wants(server, clock, key):
    check = _check(server, clock, orders=Route("orders", scopes=("orders:write", "orders:admin")))
    status, headers = _ask(check, token=_token(key, clock, scope="openid orders:read"))
    # nginx passes a 403 on; the gateway's answer is in the headers.
    assert status == 403
    assert headers["X-Gateway-Status"] == "403"
    assert headers["X-Gateway-Error"] == "insufficient_scope"
    assert 'scope="orders:write orders:admin"' in headers["WWW-Authenticate"]
    status, _ = _ask(check, token=_token(key, clock, scope="orders:admin"))
    assert status == 204


def test_it_refuses_a_malformed_authorization_header_as_a_bad_request(server, clock):
    status, headers = _ask(_check(server, clock), authorization="Bearer two words")
    assert (status, headers["X-Gateway-Status"], headers["X-Gateway-Error"]) == (
        403,
        "400",
        "invalid_request",
    )


def test_it_rate_limits_each_client_with_retry_after(server, clock, key):
    check = _check(server, clock, burst=2)
    token = _token(key, clock)
    assert [_ask(check, token=token)[0] for _ in range(2)] == [204, 204]
    status, headers = _ask(check, token=token)
    assert (status, headers["X-Gateway-Status"], headers["X-Gateway-Error"]) == (
        403,
        "429",
        "too_many_requests",
    )
    assert int(headers["Retry-After"]) >= 1
    # Another client has its own bucket.
    assert _ask(check, token=_token(key, clock))[0] == 204


def test_it_keeps_an_answer_a_second_under_the_tokens_hash(server, clock, key):
    answers = iter([{"active": True}, {"active": False}])

    def introspection(method, url, **kwargs):
        if url == INTROSPECT:
            server.fetched.append(url)
            return Response(200, json.dumps(next(answers)).encode())
        return fakes.FakeAuthorizationServer.fetch(server, method, url, **kwargs)

    server.fetch = introspection
    check = _check(server, clock, introspect=True)
    token = _token(key, clock)
    assert _ask(check, token=token)[0] == 204
    assert _ask(check, token=token)[0] == 204
    assert server.count(INTROSPECT) == 1
    # Revoked meanwhile: refused once the kept answer is a second old.
    clock.advance(1)
    status, headers = _ask(check, token=token)
    assert (status, headers["X-Gateway-Error"]) == (401, "invalid_token")
    assert server.count(INTROSPECT) == 2


def test_it_answers_503_when_the_issuer_cannot_be_reached(server, clock, key):
    server.down = True
    status, headers = _ask(_check(server, clock), token=_token(key, clock))
    assert (status, headers["X-Gateway-Status"]) == (403, "503")
    assert headers["Retry-After"] == "5"


def test_it_knows_only_its_routes_and_its_health(server, clock):
    check = _check(server, clock)
    assert _ask(check, "/check/elsewhere")[0] == 404
    assert _ask(check, "/healthz")[0] == 200


@pytest.mark.parametrize(
    "routes", ["orders", "orders=", "not a name=orders", ";", "orders=orders; =payments"]
)
def test_it_refuses_malformed_routes(routes):
    with pytest.raises(ConfigurationError, match="GATEWAY_ROUTES"):
        check_config.routes(routes)


def test_it_reads_routes_with_their_scopes():
    assert check_config.routes(check_config.DEFAULT_ROUTES) == {
        "orders": Route("orders", ("orders:read", "orders:write")),
        "payments": Route("payments"),
    }


def test_it_logs_a_refusal_with_the_request_id_and_never_the_token(server, clock, key, caplog):
    token = _token(key, clock, aud=["payments"])
    caplog.set_level("INFO", logger="resource_server.tokencheck")
    _ask(_check(server, clock), token=token, x_request_id="trace-42")
    assert "request trace-42" in caplog.text
    assert "192.0.2.1" in caplog.text
    assert token not in caplog.text and token.split(".")[2] not in caplog.text


# --- certificate-bound tokens (RFC 8705 §3) ----------------------------------------------------
def test_it_lets_a_bound_token_through_with_its_certificate_only(server, clock, key):
    from tests import pki

    cert = pki.self_signed("device")
    check = _check(server, clock)
    token = _token(key, clock, cnf={"x5t#S256": cert.thumbprint})
    assert _ask(check, token=token, ssl_client_cert=cert.header)[0] == 204
    # The answer kept for the right certificate is not the answer for another, or for none.
    other = pki.self_signed("device").header
    status, headers = _ask(check, token=token, ssl_client_cert=other)
    assert (status, headers["X-Gateway-Error"]) == (401, "invalid_token")
    status, headers = _ask(check, token=token)
    assert (status, headers["X-Gateway-Error"]) == (401, "invalid_token")
    assert _ask(check, token=token, ssl_client_cert=cert.header)[0] == 204
