import io
import ipaddress
import os

import pytest
import redis
from django.conf import settings as django_settings

from resource_server import wiring
from resource_server.conf import ServiceConfig
from resource_server.settings import MIDDLEWARE
from tests.resource_server.fakes import AUDIENCE, ISSUER, Clock, FakeAuthorizationServer, rsa_key
from tests.resource_server.fakes import validator as make_validator


def _required(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def redis_url():
    """The suite's Redis (REDIS_URL): required under CI, never mocked."""
    if not django_settings.REDIS_URL:
        _required("REDIS_URL is not set")
    return django_settings.REDIS_URL


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def signing_key():
    return rsa_key("key-1")


@pytest.fixture
def authorization_server(signing_key):
    return FakeAuthorizationServer(signing_key)


@pytest.fixture
def service(settings, monkeypatch, authorization_server, clock):
    """The services' middleware in front of tests/resource_server/urls.py, validating tokens of
    the in-memory authorization server. Returns a function to change the configuration."""
    settings.MIDDLEWARE = MIDDLEWARE
    settings.ROOT_URLCONF = "tests.resource_server.urls"
    check = make_validator(authorization_server, clock)
    monkeypatch.setattr(wiring, "validator", lambda: check)

    def configure(**fields):
        settings.RESOURCE_SERVER = ServiceConfig(
            **{"name": "orders", "issuer": ISSUER, "audience": AUDIENCE, **fields}
        )

    configure(
        admin_allowlist=(ipaddress.ip_network("127.0.0.1/32"),),
        cors_origins=("https://app.example.test",),
    )
    yield configure
    wiring.reset()


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


# --- the live services (end-to-end) -------------------------------------------------------------
@pytest.fixture(scope="session")
def live_services(live_server, tmp_path_factory):
    """The order and payment services, started once for the session beside the live
    authorization server, trusting its realm ``demo``."""
    from tests.resource_server.live import Service, service_environment

    directory = tmp_path_factory.mktemp("resource-servers")
    issuer = f"{live_server.url}/realms/demo"
    payments = Service("payments", directory, {})
    payments.environment |= service_environment(
        issuer, payments_url="", redis_url=django_settings.REDIS_URL
    )
    orders = Service("orders", directory, {})
    orders.environment |= service_environment(
        issuer, payments_url=payments.url, redis_url=django_settings.REDIS_URL
    )
    payments.environment |= {"RS_AUDIENCE": "payments"}
    orders.environment |= {"RS_AUDIENCE": "orders"}
    started = []
    try:
        for service in (payments, orders):
            started.append(service)
            service.start()
        yield {"orders": orders, "payments": payments, "issuer": issuer}
    finally:
        for service in started:
            service.stop()


@pytest.fixture
def demo(live_services, live_server, settings, transactional_db):
    """The demo realm imported into the live authorization server, and fresh rate-limit
    buckets; the services' databases carry over from test to test (tests use their own ids)."""
    from django.core.management import call_command

    from tests.resource_server.live import DEMO_REALM_FILE

    settings.AUTHSERVER_URL = live_server.url
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    call_command("import_realm", str(DEMO_REALM_FILE), stdout=io.StringIO())
    if django_settings.REDIS_URL:
        client = redis.Redis.from_url(django_settings.REDIS_URL)
        for key in client.scan_iter("rs-*:ratelimit:*"):
            client.delete(key)
        client.close()
    return live_services
