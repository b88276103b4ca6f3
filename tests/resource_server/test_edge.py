"""Edge protection: CORS, the body size limit, the admin allowlist, per-client rate limiting
(a token bucket in the suite's real Redis)."""

import ipaddress
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from resource_server import edge
from tests.resource_server.fakes import claims, sign

ORIGIN = "https://app.example.test"


@pytest.fixture
def bearer(signing_key, clock):
    def make(**overrides):
        return {"HTTP_AUTHORIZATION": f"Bearer {sign(signing_key, claims(clock, **overrides))}"}

    return make


# --- CORS ---------------------------------------------------------------------------------------
def test_it_answers_a_preflight_from_a_configured_origin(client, service):
    response = client.options(
        "/api/read",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )

    assert response.status_code == 204
    assert response.content == b""
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Access-Control-Allow-Methods"] == "GET, POST, DELETE, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Authorization, Content-Type, DPoP"
    assert response["Access-Control-Max-Age"] == "600"
    assert response["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response


def test_it_refuses_a_preflight_from_another_origin(client, service):
    response = client.options(
        "/api/read",
        HTTP_ORIGIN="https://evil.example.test",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert response["Vary"] == "Origin"


def test_it_lets_a_configured_origin_read_answers_and_errors(client, service, bearer):
    ok = client.get("/api/read", HTTP_ORIGIN=ORIGIN, **bearer())
    refused = client.get("/api/read", HTTP_ORIGIN=ORIGIN)

    for response in (ok, refused):
        assert response["Access-Control-Allow-Origin"] == ORIGIN
        assert response["Access-Control-Expose-Headers"] == (
            "WWW-Authenticate, Retry-After, X-RateLimit-Remaining"
        )
        assert response["Vary"] == "Origin"
    assert refused.status_code == 401


def test_it_gives_no_cors_headers_to_another_origin(client, service, bearer):
    response = client.get("/api/read", HTTP_ORIGIN="https://evil.example.test", **bearer())

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


# --- body size ----------------------------------------------------------------------------------
def test_it_refuses_a_body_over_the_limit_before_reading_it(client, service, bearer):
    service(max_body_bytes=1024)

    too_big = client.post(
        "/api/write",
        b"x" * 1025,
        content_type="application/json",
        **bearer(scope="orders:read orders:write"),
    )
    just_fits = client.post(
        "/api/write",
        b"x" * 1024,
        content_type="application/json",
        **bearer(scope="orders:read orders:write"),
    )

    assert too_big.status_code == 413
    assert too_big.json()["error"] == "request_too_large"
    assert just_fits.status_code == 200


def test_it_refuses_an_oversized_body_even_without_a_token(client, service):
    service(max_body_bytes=10)

    assert client.post("/api/write", b"x" * 11, content_type="application/json").status_code == 413


def test_it_refuses_a_malformed_content_length(client, service, bearer):
    for value in ("lots", "-1"):
        response = client.get("/api/read", CONTENT_LENGTH=value, **bearer())

        assert response.status_code == 400


# --- admin allowlist ----------------------------------------------------------------------------
def test_it_refuses_admin_routes_from_an_address_not_allowlisted(client, service, bearer):
    service(admin_allowlist=(ipaddress.ip_network("10.0.0.0/8"),))
    admin = bearer(realm_access={"roles": ["admin"]})

    outside = client.get("/api/admin/things", REMOTE_ADDR="192.0.2.7", **admin)
    inside = client.get("/api/admin/things", REMOTE_ADDR="10.1.2.3", **admin)
    mapped = client.get("/api/admin/things", REMOTE_ADDR="::ffff:10.1.2.3", **admin)

    assert outside.status_code == 403
    assert outside.json()["error"] == "forbidden"
    assert inside.status_code == 200
    assert mapped.status_code == 200


def test_it_refuses_admin_routes_from_outside_even_without_a_token(client, service):
    service(admin_allowlist=(ipaddress.ip_network("10.0.0.0/8"),))

    assert client.get("/api/admin/things", REMOTE_ADDR="192.0.2.7").status_code == 403


def test_it_leaves_other_routes_open_to_any_address(client, service, bearer):
    service(admin_allowlist=())

    assert client.get("/api/read", REMOTE_ADDR="192.0.2.7", **bearer()).status_code == 200
    assert (
        client.get("/api/admin/things", **bearer(realm_access={"roles": ["admin"]})).status_code
        == 403
    )


# --- rate limiting ------------------------------------------------------------------------------
def test_it_limits_each_client_to_its_burst(client, service, bearer, redis_url):
    service(redis_url=redis_url, rate_replenish=0.5, rate_burst=3)
    client_id = f"web-{uuid.uuid4()}"
    token = bearer(client_id=client_id)

    answers = [client.get("/api/read", **token) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert answers[0]["X-RateLimit-Burst-Capacity"] == "3"
    assert answers[0]["X-RateLimit-Replenish-Rate"] == "0.5"
    limited = answers[-1]
    # One token comes back in 2 seconds at 0.5 per second.
    assert limited["Retry-After"] == "2"
    assert limited.json()["error"] == "too_many_requests"
    # Another client has a bucket of its own.
    assert client.get("/api/read", **bearer(client_id=f"other-{uuid.uuid4()}")).status_code == 200


def test_it_limits_requests_without_a_token_by_address(client, service, redis_url):
    service(redis_url=redis_url, rate_replenish=0.5, rate_burst=2)
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"

    codes = [client.get("/api/public/health", REMOTE_ADDR=address).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_it_refills_the_bucket_over_time(redis_client):
    bucket = edge.TokenBucket(redis_client, rate=1000, capacity=1, prefix=f"test-{uuid.uuid4()}")
    key = "client:refill"

    assert bucket.take(key)[0]
    # At 1000 per second the bucket is full again a millisecond later, by Redis's own clock.
    assert any(bucket.take(key)[0] for _ in range(1000))


def test_it_expires_idle_buckets(redis_client):
    prefix = f"test-{uuid.uuid4()}"
    bucket = edge.TokenBucket(redis_client, rate=1, capacity=5, prefix=prefix)

    bucket.take("client:idle")

    assert 0 < redis_client.ttl(f"{prefix}:ratelimit:client:idle") <= 6


def test_it_lets_requests_through_when_redis_is_down(client, service, bearer, monkeypatch):
    dead = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    attempts = []
    bucket = edge.TokenBucket(dead, rate=1, capacity=1, prefix="dead")
    take = bucket.take
    bucket.take = lambda key: attempts.append(key) or take(key)
    monkeypatch.setattr(edge, "_bucket", lambda: bucket)

    answers = [client.get("/api/read", **bearer()) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert "X-RateLimit-Remaining" not in answers[0]
    # Tried once, then left alone for a while rather than by every request.
    assert len(attempts) == 1


def test_it_is_off_without_redis(client, service, bearer):
    service(redis_url="")

    response = client.get("/api/read", **bearer())

    assert response.status_code == 200
    assert "X-RateLimit-Remaining" not in response
