"""/metrics: Prometheus' text format, to the allowed addresses only, with counters that move
as real requests go through the server."""

import pytest
from django.test import Client

from accounts.models import Event
from tests.factories import make_realm, make_user
from tests.observability.scrape import moved, samples, value
from tests.protocol.helpers import (
    authorize_and_get_code,
    basic,
    endpoint,
    exchange_code,
    login,
    make_machine_client,
    make_web_client,
    post_form,
    refresh,
)

pytestmark = pytest.mark.django_db


def test_it_serves_prometheus_text_to_loopback(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    assert b"# TYPE authserver_http_requests_total counter" in response.content


def test_it_refuses_other_addresses(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 403
    assert b"authserver_" not in response.content


def test_it_ignores_a_forwarded_address(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_it_serves_the_allowed_networks(client, settings):
    settings.AUTHSERVER_METRICS_ALLOW_IPS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 403


def test_it_is_absent_when_turned_off(client, settings):
    settings.AUTHSERVER_METRICS_ALLOW_IPS = ["off"]

    assert client.get("/metrics").status_code == 404


def test_it_counts_requests_by_route_name_and_status(client):
    realm = make_realm()
    before = samples(client)

    for _ in range(3):
        assert client.get(endpoint(realm, "certs")).status_code == 200
    assert client.get("/realms/no-such-realm/protocol/openid-connect/certs").status_code == 404
    assert client.get("/no/such/path").status_code == 404

    after = samples(client)
    requests = "authserver_http_requests_total"
    ok = {"endpoint": "jwks", "method": "GET", "status": "200"}
    assert moved(before, after, requests, **ok) == 3
    missing = {"endpoint": "jwks", "method": "GET", "status": "404"}
    assert moved(before, after, requests, **missing) == 1
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert moved(before, after, requests, **unmatched) == 1
    # No time series named after a raw path.
    assert not any("no-such" in str(labels) for _, labels in after)
    durations = "authserver_http_request_duration_seconds_count"
    assert moved(before, after, durations, endpoint="jwks") == 4


def test_it_folds_unknown_methods_into_one_label(client):
    realm = make_realm()
    before = samples(client)

    client.generic("BREW", endpoint(realm, "certs"))

    after = samples(client)
    labels = {"endpoint": "jwks", "method": "other", "status": "405"}
    assert moved(before, after, "authserver_http_requests_total", **labels) == 1


def test_it_counts_tokens_by_realm_client_and_grant(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "web")
    make_machine_client(realm, "robot")
    before = samples(client)

    code = authorize_and_get_code(Client(), realm, user, client_id="web")
    issued = exchange_code(client, realm, code, client_id="web").json()
    assert refresh(client, realm, issued["refresh_token"], client_id="web").status_code == 200
    credentials = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("robot", "machine-secret-" + "z" * 30),
    )
    assert credentials.status_code == 200, credentials.content
    refused = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("robot", "wrong"),
    )
    assert refused.status_code == 401

    after = samples(client)
    name = "authserver_tokens_issued_total"

    def issued_to(client_id, grant):
        labels = {"realm": realm.name, "client": client_id, "grant_type": grant}
        return moved(before, after, name, **labels)

    assert issued_to("web", "authorization_code") == 1
    assert issued_to("web", "refresh_token") == 1
    assert issued_to("robot", "client_credentials") == 1


def test_it_counts_logins_and_failures_by_keycloak_event_and_error(client):
    realm = make_realm()
    user = make_user(realm)
    before = samples(client)

    assert login(Client(), realm, user.username, "wrong-password").status_code == 200
    assert login(Client(), realm, "nobody", "wrong-password").status_code == 200
    assert login(Client(), realm, user.username).status_code == 302

    after = samples(client)
    failed = {"realm": realm.name, "client": "", "error": "invalid_user_credentials"}
    name = "authserver_failed_login_attempts_total"
    assert moved(before, after, name, **failed) == 2
    logins = "authserver_logins_total"
    assert moved(before, after, logins, realm=realm.name, client="") == 1
    events = "authserver_user_events_total"
    assert moved(before, after, events, realm=realm.name, event="LOGIN_ERROR") == 2
    # The same events as the audit log records.
    assert Event.objects.filter(realm=realm, type="LOGIN_ERROR").count() == 2


def test_it_counts_refresh_token_reuse(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "web")
    code = authorize_and_get_code(Client(), realm, user, client_id="web")
    first = exchange_code(client, realm, code, client_id="web").json()["refresh_token"]
    assert refresh(client, realm, first, client_id="web").status_code == 200
    before = samples(client)

    replay = refresh(client, realm, first, client_id="web")
    unknown = refresh(client, realm, "not-a-token", client_id="web")

    assert replay.status_code == 400 and unknown.status_code == 400
    after = samples(client)
    name = "authserver_refresh_token_reuse_total"
    labels = {"realm": realm.name, "client": "web"}
    assert moved(before, after, name, **labels) == 1


def test_it_counts_rate_limit_refusals(client, settings):
    settings.AUTHSERVER_RATE_LOGIN = (0.01, 1)
    realm = make_realm()
    before = samples(client)

    statuses = [login(Client(), realm, "someone", "wrong").status_code for _ in range(3)]

    assert statuses.count(429) == 2, statuses
    after = samples(client)
    name = "authserver_rate_limited_requests_total"
    assert moved(before, after, name, endpoint="accounts:login") == 2


def test_it_reports_signing_key_ages(client):
    realm = make_realm()
    assert client.get(endpoint(realm, "certs")).status_code == 200  # the realm gets its key

    scraped = samples(client)

    ages = [
        (dict(labels), age)
        for (name, labels), age in scraped.items()
        if name == "authserver_signing_key_age_seconds" and dict(labels)["realm"] == realm.name
    ]
    assert len(ages) == 1
    labels, age = ages[0]
    assert labels["state"] == "active" and labels["kid"]
    assert 0 <= age < 60
    assert 0 <= value(scraped, "authserver_signing_key_active_seconds", realm=realm.name) < 60


def test_it_counts_redis_failures(client, settings):
    """Redis on a port where nothing listens: the cache goes on without it (IGNORE_EXCEPTIONS)
    and the rate limits turn themselves off; each failure is counted."""
    realm = make_realm()
    before = samples(client)
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    dead = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
    }
    settings.CACHES = {"default": dead, "shared": dead}

    response = login(Client(), realm, "someone", "wrong")

    assert response.status_code == 200
    after = samples(client)
    assert moved(before, after, "authserver_redis_errors_total", source="cache") >= 1
    assert moved(before, after, "authserver_redis_errors_total", source="rate_limits") >= 1


@pytest.mark.django_db(transaction=True)
def test_it_counts_database_errors(client):
    """The settings point at a port where no database listens (PostgreSQL: SQLite's test
    database lives in memory and cannot be dropped and kept)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a dropped database connection needs PostgreSQL")
    before = samples(client)
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        response = Client(raise_request_exception=False).get("/realms/nowhere/account/consents")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert response.status_code == 503
    after = samples(client)
    assert moved(before, after, "authserver_database_errors_total", error="OperationalError") == 1
