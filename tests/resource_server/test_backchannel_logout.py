"""POST /backchannel-logout (Back-Channel Logout 1.0 §2.5-§2.8) through the services'
middleware: 200 and the session's access tokens refused from then on, in every worker (the
shared cache: the suite's Redis); 400 invalid_request for anything else."""

import uuid

import pytest
from django.core.cache import caches

from resource_server import wiring
from resource_server.auth import EndedSessions, InvalidToken, Issuer, LogoutTokenValidator
from tests.resource_server.fakes import claims, sign
from tests.resource_server.fakes import validator as make_validator
from tests.resource_server.test_logout_token import CLIENT_ID, logout_token, unreachable_redis

FORM = "application/x-www-form-urlencoded"


def worker(authorization_server, clock, store):
    """What one worker process builds: its own validators over the shared store."""
    ended = EndedSessions(store, clock=clock)
    issuer = Issuer(authorization_server.issuer, fetch=authorization_server.fetch, clock=clock)
    logouts = LogoutTokenValidator(issuer, client_id=CLIENT_ID, replay_cache=store, clock=clock)
    return make_validator(authorization_server, clock, ended_sessions=ended), ended, logouts


@pytest.fixture
def logout_service(service, monkeypatch, authorization_server, clock):
    """The services' middleware and the logout endpoint, as client ``orders-service``."""
    service(client_id=CLIENT_ID)

    def use(store):
        check, ended, logouts = worker(authorization_server, clock, store)
        monkeypatch.setattr(wiring, "validator", lambda: check)
        monkeypatch.setattr(wiring, "ended_sessions", lambda: ended)
        monkeypatch.setattr(wiring, "logout_tokens", lambda: logouts)

    use(caches["shared"])
    return use


def post(client, body, content_type=FORM):
    return client.post("/backchannel-logout", body, content_type=content_type)


def form(token: str) -> str:
    return f"logout_token={token}"


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_it_acknowledges_a_logout_and_refuses_the_sessions_tokens(
    client, logout_service, signing_key, clock
):
    sid = str(uuid.uuid4())
    access_token = sign(signing_key, claims(clock, sid=sid))
    other_session = sign(signing_key, claims(clock, sid=str(uuid.uuid4())))
    assert client.get("/api/read", **bearer(access_token)).status_code == 200

    response = post(client, form(logout_token(signing_key, clock, sid=sid)))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    refusal = client.get("/api/read", **bearer(access_token))
    assert refusal.status_code == 401
    assert refusal["WWW-Authenticate"] == (
        'Bearer realm="orders", error="invalid_token", '
        'error_description="the session of the access token has ended"'
    )
    assert refusal.json()["error"] == "invalid_token"
    assert client.get("/api/read", **bearer(other_session)).status_code == 200


def test_every_worker_refuses_the_ended_session(
    client, logout_service, authorization_server, signing_key, clock
):
    """Another process's validator, over its own connection to the shared store."""
    from django.conf import settings
    from django_redis.cache import RedisCache

    shared = settings.CACHES["shared"]
    if "Redis" not in shared["BACKEND"]:
        pytest.skip("the shared cache is Redis only with REDIS_URL")
    sid = str(uuid.uuid4())
    access_token = sign(signing_key, claims(clock, sid=sid))
    other_worker, _, _ = worker(
        authorization_server, clock, RedisCache(shared["LOCATION"], dict(shared))
    )
    assert other_worker.validate(access_token).sub

    assert post(client, form(logout_token(signing_key, clock, sid=sid))).status_code == 200

    with pytest.raises(InvalidToken) as raised:
        other_worker.validate(access_token)
    assert raised.value.description == "the session of the access token has ended"


def test_it_refuses_the_subjects_earlier_tokens_after_a_logout_without_sid(
    client, logout_service, signing_key, clock
):
    sub = str(uuid.uuid4())
    earlier = sign(signing_key, claims(clock, sub=sub, sid=str(uuid.uuid4())))

    assert (
        post(client, form(logout_token(signing_key, clock, sub=sub, sid=None))).status_code == 200
    )
    clock.advance(1)

    assert client.get("/api/read", **bearer(earlier)).status_code == 401
    later = sign(signing_key, claims(clock, sub=sub, sid=str(uuid.uuid4())))
    assert client.get("/api/read", **bearer(later)).status_code == 200


def assert_invalid_request(response):
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "the logout token is invalid",
    }


def test_it_answers_a_bad_logout_token_with_invalid_request(
    client, logout_service, signing_key, clock
):
    sid = str(uuid.uuid4())
    access_token = sign(signing_key, claims(clock, sid=sid))

    assert_invalid_request(post(client, form(logout_token(signing_key, clock, sid=sid, nonce="n"))))
    assert_invalid_request(post(client, form("not-a-token")))
    assert client.get("/api/read", **bearer(access_token)).status_code == 200


def test_it_refuses_a_replayed_logout_token(client, logout_service, signing_key, clock):
    token = logout_token(signing_key, clock)
    assert post(client, form(token)).status_code == 200

    assert_invalid_request(post(client, form(token)))


def test_it_wants_exactly_one_logout_token_in_a_form(client, logout_service, signing_key, clock):
    token = logout_token(signing_key, clock)
    assert_invalid_request(post(client, ""))
    assert_invalid_request(post(client, f"{form(token)}&{form(token)}"))
    assert_invalid_request(post(client, {"logout_token": token}, content_type="application/json"))


def test_it_answers_only_post(client, logout_service):
    response = client.get("/backchannel-logout")

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_a_service_without_a_client_id_has_no_logout_endpoint(
    client, logout_service, service, signing_key, clock
):
    service(client_id="")

    assert post(client, form(logout_token(signing_key, clock))).status_code == 404


def test_it_does_not_acknowledge_a_logout_it_cannot_record(
    client, logout_service, signing_key, clock
):
    logout_service(unreachable_redis())

    response = post(client, form(logout_token(signing_key, clock)))

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_it_does_not_acknowledge_a_logout_while_the_issuer_is_down(
    client, logout_service, authorization_server, signing_key, clock
):
    authorization_server.down = True

    response = post(client, form(logout_token(signing_key, clock)))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_it_needs_no_token_of_its_own_but_refuses_a_bad_one(
    client, logout_service, signing_key, clock
):
    """The endpoint is public (the issuer sends no bearer token); an invalid bearer token is
    refused everywhere all the same (RFC 6750 §3.1)."""
    response = client.post(
        "/backchannel-logout",
        form(logout_token(signing_key, clock)),
        content_type=FORM,
        HTTP_AUTHORIZATION="Bearer not-a-token",
    )

    assert response.status_code == 401
