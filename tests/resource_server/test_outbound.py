"""Tokens the order service obtains: token exchange (RFC 8693) on a user's behalf, client
credentials (cached) on its own; and introspection (RFC 7662) for instant revocation."""

import base64
import json
from urllib.parse import unquote

import pytest

from resource_server.auth import (
    Introspector,
    InvalidToken,
    Issuer,
    IssuerUnavailable,
    TokenClient,
    TokenRequestFailed,
)
from resource_server.auth.http import FetchError, Response
from tests.resource_server.fakes import ISSUER, Clock, FakeAuthorizationServer, rsa_key

TOKEN_ENDPOINT = f"{ISSUER}/protocol/openid-connect/token"
INTROSPECTION_ENDPOINT = f"{ISSUER}/protocol/openid-connect/token/introspect"


class TokenEndpoint:
    """Answers POSTs to the token and introspection endpoints; records each request."""

    def __init__(self, server: FakeAuthorizationServer):
        self.server = server
        self.requests: list[dict] = []
        self.answers: list[Response] = []
        server.fetch, self._published = self.fetch, server.fetch

    def fetch(self, method, url, *, form=None, headers=None, **kwargs):
        if method == "POST":
            self.requests.append({"url": url, "form": form, "headers": headers})
            if not self.answers:
                raise FetchError("connection refused")
            return self.answers.pop(0)
        return self._published(method, url, **kwargs)

    def answer(self, status=200, **document):
        self.answers.append(Response(status, json.dumps(document).encode()))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def endpoint():
    return TokenEndpoint(FakeAuthorizationServer(rsa_key("key-1")))


ODD_SECRET = "s3cret:with/odd chars"


def token_client(endpoint, clock):
    issuer = Issuer(ISSUER, fetch=endpoint.fetch, clock=clock)
    return TokenClient(
        issuer,
        client_id="orders-service",
        client_secret=ODD_SECRET,
        fetch=endpoint.fetch,
        clock=clock,
    )


def basic_credentials(request) -> tuple[str, str]:
    scheme, _, encoded = request["headers"]["Authorization"].partition(" ")
    assert scheme == "Basic"
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    return unquote(client_id), unquote(secret)


def test_it_exchanges_the_users_token_for_one_with_the_payments_audience(endpoint, clock):
    endpoint.answer(
        access_token="exchanged",
        issued_token_type="urn:ietf:params:oauth:token-type:access_token",
        token_type="Bearer",
        expires_in=300,
    )

    token = token_client(endpoint, clock).exchange("users-token", audience="payments")

    assert token == "exchanged"
    [request] = endpoint.requests
    assert request["url"] == TOKEN_ENDPOINT
    assert request["form"] == {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": "users-token",
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "audience": "payments",
    }
    # client_secret_basic, each part form-urlencoded first (RFC 6749 §2.3.1).
    assert basic_credentials(request) == ("orders-service", ODD_SECRET)


def test_it_exchanges_again_for_each_call(endpoint, clock):
    client = token_client(endpoint, clock)
    endpoint.answer(access_token="first", expires_in=300)
    endpoint.answer(access_token="second", expires_in=300)

    assert client.exchange("users-token", audience="payments") == "first"
    assert client.exchange("users-token", audience="payments") == "second"


def test_it_reports_a_refused_exchange_with_the_endpoints_error(endpoint, clock):
    endpoint.answer(400, error="invalid_target", error_description="audience not allowed")

    with pytest.raises(TokenRequestFailed) as raised:
        token_client(endpoint, clock).exchange("users-token", audience="payments")

    assert raised.value.error == "invalid_target"
    assert not raised.value.unavailable


def test_it_reports_an_unreachable_token_endpoint_as_unavailable(endpoint, clock):
    with pytest.raises(TokenRequestFailed) as raised:
        token_client(endpoint, clock).exchange("users-token", audience="payments")

    assert raised.value.unavailable


def test_it_caches_its_client_credentials_token_until_shortly_before_expiry(endpoint, clock):
    client = token_client(endpoint, clock)
    endpoint.answer(access_token="service-1", expires_in=300)
    endpoint.answer(access_token="service-2", expires_in=300)

    assert client.client_credentials() == "service-1"
    clock.advance(269)
    assert client.client_credentials() == "service-1"
    assert len(endpoint.requests) == 1
    assert endpoint.requests[0]["form"] == {"grant_type": "client_credentials"}

    # 30 seconds before it expires, a new one.
    clock.advance(1)
    assert client.client_credentials() == "service-2"
    assert len(endpoint.requests) == 2


def test_it_does_not_cache_a_refused_client_credentials_request(endpoint, clock):
    client = token_client(endpoint, clock)
    endpoint.answer(401, error="invalid_client")
    endpoint.answer(access_token="service-1", expires_in=300)

    with pytest.raises(TokenRequestFailed):
        client.client_credentials()
    assert client.client_credentials() == "service-1"


def introspector(endpoint, clock, **options):
    issuer = Issuer(ISSUER, fetch=endpoint.fetch, clock=clock)
    return Introspector(
        issuer,
        client_id="orders-service",
        client_secret="secret",
        fetch=endpoint.fetch,
        clock=clock,
        **options,
    )


def test_it_introspects_and_caches_the_answer_briefly(endpoint, clock):
    check = introspector(endpoint, clock, cache_seconds=5)
    endpoint.answer(active=True, sub="someone")
    endpoint.answer(active=False)
    expires = clock() + 300

    check.check_active("a-token", expires=expires)
    check.check_active("a-token", expires=expires)
    assert len(endpoint.requests) == 1
    [request] = endpoint.requests
    assert request["url"] == INTROSPECTION_ENDPOINT
    assert request["form"] == {"token": "a-token", "token_type_hint": "access_token"}
    assert basic_credentials(request) == ("orders-service", "secret")

    # Revoked meanwhile: refused once the cached answer is 5 seconds old.
    clock.advance(5)
    with pytest.raises(InvalidToken) as raised:
        check.check_active("a-token", expires=expires)
    assert raised.value.description == "the access token is not active"


def test_it_fails_closed_when_introspection_is_unreachable(endpoint, clock):
    with pytest.raises(IssuerUnavailable):
        introspector(endpoint, clock).check_active("a-token", expires=clock() + 300)


def test_it_treats_an_introspection_error_as_unavailable_not_as_the_callers_fault(endpoint, clock):
    endpoint.answer(401, error="invalid_client")

    with pytest.raises(IssuerUnavailable):
        introspector(endpoint, clock).check_active("a-token", expires=clock() + 300)


def test_it_introspects_after_the_local_checks_when_configured(endpoint, clock):
    from tests.resource_server.fakes import claims, sign, validator

    key = endpoint.server.keys[0]
    check = validator(endpoint.server, clock, introspector=introspector(endpoint, clock))
    endpoint.answer(active=False)

    # A garbage token is refused without asking the issuer.
    with pytest.raises(InvalidToken):
        check.validate("garbage.token.here")
    assert endpoint.requests == []
    # A well-signed but revoked one is refused after asking.
    with pytest.raises(InvalidToken):
        check.validate(sign(key, claims(clock)))
    assert len(endpoint.requests) == 1
