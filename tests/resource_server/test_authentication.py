"""request.principal, deny-by-default, and the authorization decorators, answered per RFC 6750."""

import base64

import pytest

from resource_server.auth import IssuerUnavailable
from tests.resource_server.fakes import claims, rsa_key, sign

SUB = "a3c70e94-b2c7-4444-89e6-46fe23aad6a5"
# RFC 6750 §3.1, RFC 9449 §7.1: a request without a token is offered both schemes.
NO_TOKEN = (
    'Bearer realm="orders", DPoP realm="orders", '
    'algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA"'
)


@pytest.fixture
def bearer(signing_key, clock):
    def make(**overrides):
        return {"HTTP_AUTHORIZATION": f"Bearer {sign(signing_key, claims(clock, **overrides))}"}

    return make


def assert_challenge(response, status, expected):
    assert response.status_code == status
    assert response["WWW-Authenticate"] == expected
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"


def test_it_asks_for_a_token_when_there_is_none(client, service):
    response = client.get("/api/read")

    assert_challenge(response, 401, NO_TOKEN)
    assert response.json() == {"error": "unauthorized"}


def test_it_denies_by_default_a_view_without_any_decorator(client, service, bearer):
    assert client.get("/api/who").status_code == 401
    assert client.get("/api/who", **bearer()).json()["sub"] == SUB


def test_it_treats_another_scheme_as_no_token(client, service):
    response = client.get("/api/read", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    assert_challenge(response, 401, NO_TOKEN)


def test_it_answers_an_invalid_token_with_invalid_token(client, service, clock):
    stranger = rsa_key("unknown")
    response = client.get("/api/read", HTTP_AUTHORIZATION=f"Bearer {sign(stranger, claims(clock))}")

    assert_challenge(
        response,
        401,
        'Bearer realm="orders", error="invalid_token", '
        'error_description="the access token is invalid"',
    )
    assert response.json() == {
        "error": "invalid_token",
        "error_description": "the access token is invalid",
    }


def test_it_says_when_the_token_expired(client, service, bearer, clock):
    response = client.get("/api/read", **bearer(exp=int(clock()) - 60))

    assert response["WWW-Authenticate"] == (
        'Bearer realm="orders", error="invalid_token", error_description="the access token expired"'
    )


def test_it_answers_a_malformed_authorization_header_with_invalid_request(client, service):
    response = client.get("/api/read", HTTP_AUTHORIZATION="Bearer two tokens")

    assert response.status_code == 400
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_it_accepts_the_scheme_in_any_case(client, service, signing_key, clock):
    token = sign(signing_key, claims(clock))

    assert client.get("/api/read", HTTP_AUTHORIZATION=f"bearer {token}").status_code == 200
    assert client.get("/api/read", HTTP_AUTHORIZATION=f"BEARER  {token}").status_code == 200


def test_it_lets_anyone_reach_a_public_view(client, service, bearer):
    assert client.get("/api/public/anyone").json() == {"principal": None}
    assert client.get("/api/public/anyone", **bearer()).json() == {"principal": SUB}
    health = client.get("/api/public/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": "orders"}


def test_it_refuses_an_invalid_token_even_on_a_public_view(client, service):
    response = client.get("/api/public/anyone", HTTP_AUTHORIZATION="Bearer not.a.token")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_it_answers_a_missing_scope_with_insufficient_scope(client, service, bearer):
    response = client.post("/api/write", **bearer(scope="openid orders:read"))

    assert_challenge(
        response,
        403,
        'Bearer realm="orders", error="insufficient_scope", '
        'error_description="the scope orders:read orders:write is required", '
        'scope="orders:read orders:write"',
    )
    assert response.json()["error"] == "insufficient_scope"


def test_it_grants_a_view_when_every_scope_is_there(client, service, bearer):
    response = client.post("/api/write", **bearer(scope="orders:write orders:read"))

    assert response.status_code == 200
    assert response.json()["scopes"] == ["orders:read", "orders:write"]


def test_it_requires_a_realm_role(client, service, bearer):
    denied = client.get("/api/admin/things", **bearer(realm_access={"roles": ["user"]}))
    granted = client.get("/api/admin/things", **bearer(realm_access={"roles": ["admin"]}))

    assert denied.status_code == 403
    assert 'error="insufficient_scope"' in denied["WWW-Authenticate"]
    assert "the role admin is required" in denied["WWW-Authenticate"]
    assert granted.status_code == 200


def test_it_does_not_take_a_client_role_for_a_realm_role(client, service, bearer):
    response = client.get(
        "/api/admin/things",
        **bearer(realm_access={}, resource_access={"web": {"roles": ["admin"]}}),
    )

    assert response.status_code == 403


def test_it_requires_a_client_role_of_that_client(client, service, bearer):
    granted = client.get("/api/viewer", **bearer(resource_access={"web": {"roles": ["viewer"]}}))
    other_client = client.get(
        "/api/viewer", **bearer(resource_access={"other": {"roles": ["viewer"]}})
    )
    realm_role = client.get(
        "/api/viewer", **bearer(resource_access={}, realm_access={"roles": ["viewer"]})
    )

    assert granted.status_code == 200
    assert other_client.status_code == 403
    assert realm_role.status_code == 403


def test_it_validates_ownership(client, service, bearer):
    mine = client.get("/api/things/1", **bearer())
    theirs = client.get("/api/things/2", **bearer())
    missing = client.get("/api/things/3", **bearer())

    assert mine.status_code == 200
    # Someone else's object looks just like one that does not exist.
    assert theirs.status_code == 404
    assert missing.status_code == 404


def test_it_lets_an_admin_past_the_ownership_rule(client, service, bearer):
    admin = bearer(sub="admin-sub", realm_access={"roles": ["admin"]})

    assert client.get("/api/things/2", **admin).status_code == 200
    assert client.get("/api/things/3", **admin).status_code == 404


def test_it_answers_503_when_the_issuer_cannot_be_reached(client, service, monkeypatch):
    from resource_server import wiring

    class Down:
        def validate(self, token, **kwargs):
            raise IssuerUnavailable("connection refused")

    monkeypatch.setattr(wiring, "validator", Down)

    response = client.get("/api/read", HTTP_AUTHORIZATION="Bearer a.b.c")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"


def test_it_answers_an_unknown_method_with_405(client, service, bearer):
    response = client.get("/api/write", **bearer())

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_it_answers_a_token_nested_too_deeply_with_invalid_token(client, service):
    nested = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).rstrip(b"=").decode()
    for token in (f"{nested}.e30.c2ln", f"eyJhbGciOiJSUzI1NiJ9.{nested}.c2ln"):
        response = client.get("/api/read", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"


# --- certificate-bound tokens (RFC 8705 §3) ----------------------------------------------------
class _TLSSocket:
    """What gunicorn puts in the environ of a request over its TLS (``gunicorn.socket``)."""

    def __init__(self, der):
        self.der = der

    def getpeercert(self, binary_form=False):
        return self.der


def test_it_checks_a_bound_token_against_the_connections_certificate(client, service, bearer):
    from tests import pki

    cert = pki.self_signed("device")
    headers = bearer(cnf={"x5t#S256": cert.thumbprint})
    mine = client.get("/api/who", **headers, **{"gunicorn.socket": _TLSSocket(cert.der)})
    assert mine.status_code == 200, mine.content
    for other in (_TLSSocket(pki.self_signed("device").der), _TLSSocket(None), object()):
        refused = client.get("/api/who", **headers, **{"gunicorn.socket": other})
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused["WWW-Authenticate"]


def test_it_believes_a_forwarded_certificate_from_a_trusted_proxy_only(client, service, bearer):
    import ipaddress

    from tests import pki

    service(
        mtls_cert_header="Ssl-Client-Cert",
        trusted_proxies=(ipaddress.ip_network("10.0.0.2/32"),),
    )
    cert = pki.self_signed("device")
    headers = bearer(cnf={"x5t#S256": cert.thumbprint}) | {"HTTP_SSL_CLIENT_CERT": cert.header}
    # The proxy's own connection shows its own certificate: only the header counts.
    proxy = _TLSSocket(pki.self_signed("gateway").der)
    trusted = client.get(
        "/api/who", REMOTE_ADDR="10.0.0.2", **headers, **{"gunicorn.socket": proxy}
    )
    assert trusted.status_code == 200, trusted.content
    assert client.get("/api/who", REMOTE_ADDR="192.0.2.9", **headers).status_code == 401
