"""The services' configuration from the environment: loud on a bad value, safe defaults."""

import ipaddress

import pytest

from resource_server import conf, env
from resource_server.auth import InsufficientScope, InvalidToken, MissingToken, www_authenticate

VARIABLES = (
    "RS_ISSUER",
    "RS_AUDIENCE",
    "RS_CLIENT_ID",
    "RS_CLIENT_SECRET",
    "RS_CLIENT_SECRET_FILE",
    "PAYMENTS_URL",
    "RS_ADMIN_ALLOWLIST",
    "RS_CORS_ORIGINS",
    "RS_INTROSPECT",
    "RS_RATE_BURST",
    "RS_RATE_REPLENISH",
    "REDIS_URL",
    "RS_MTLS_CERT_HEADER",
    "RS_TRUSTED_PROXIES",
    "RS_LOGOUT_REMEMBER_SECONDS",
    "RS_VAR_DIR",
)


@pytest.fixture
def environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_it_has_safe_defaults(environment):
    environment.setenv("RS_ISSUER", "https://auth.example.test/realms/demo/")

    config = conf.load("orders", default_audience="orders")

    assert config.issuer == "https://auth.example.test/realms/demo"
    assert config.audience == "orders"
    # The admin routes answer on the machine itself only, until told otherwise.
    assert config.admin_allowlist == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
    )
    assert config.cors_origins == ()
    assert not config.introspect
    assert config.logout_remember_seconds == 86400
    assert conf.missing(config, needs_client=False) == []
    assert conf.missing(config, needs_client=True) == [
        "RS_CLIENT_ID",
        "RS_CLIENT_SECRET",
        "PAYMENTS_URL",
    ]


def test_it_names_a_missing_issuer(environment):
    config = conf.load("payments", default_audience="payments")

    assert conf.missing(config, needs_client=False) == ["RS_ISSUER"]


def test_it_reads_the_lists(environment):
    environment.setenv("RS_ADMIN_ALLOWLIST", "10.0.0.0/8, 192.0.2.7")
    environment.setenv("RS_CORS_ORIGINS", "https://App.example.test, http://localhost:5173/")

    config = conf.load("orders", default_audience="orders")

    assert config.admin_allowlist == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
    )
    assert config.cors_origins == ("https://app.example.test", "http://localhost:5173")


def test_it_allows_no_address_when_the_allowlist_is_set_empty(environment):
    environment.setenv("RS_ADMIN_ALLOWLIST", "")

    assert conf.load("orders", default_audience="orders").admin_allowlist == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RS_ISSUER", "auth.example.test/realms/demo"),
        ("RS_ADMIN_ALLOWLIST", "10.0.0.0/8, intranet"),
        ("RS_CORS_ORIGINS", "https://app.example.test/path"),
        ("RS_RATE_BURST", "0"),
        ("RS_RATE_REPLENISH", "fast"),
        ("RS_INTROSPECT", "maybe"),
        ("RS_LOGOUT_REMEMBER_SECONDS", "0"),
    ],
)
def test_it_fails_loudly_on_a_bad_value(environment, name, value):
    environment.setenv(name, value)

    with pytest.raises(env.ConfigurationError) as raised:
        conf.load("orders", default_audience="orders")

    assert name in str(raised.value)


def test_it_needs_credentials_to_introspect(environment):
    environment.setenv("RS_INTROSPECT", "1")

    with pytest.raises(env.ConfigurationError):
        conf.load("orders", default_audience="orders")


def test_it_reads_the_client_secret_from_a_file(environment, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    environment.setenv("RS_CLIENT_SECRET_FILE", str(secret))

    assert conf.load("orders", default_audience="orders").client_secret == "from-a-file"


def test_it_keeps_the_challenge_within_rfc_6750s_characters():
    error = InvalidToken('a "quoted" \\ description\n')

    assert www_authenticate(error, realm="orders") == (
        'Bearer realm="orders", error="invalid_token", error_description="a quoted  description"'
    )
    assert www_authenticate(MissingToken(), realm="orders") == 'Bearer realm="orders"'
    assert www_authenticate(InsufficientScope("orders:write"), realm="orders") == (
        'Bearer realm="orders", error="insufficient_scope", '
        'error_description="the scope orders:write is required", scope="orders:write"'
    )


def test_it_reads_a_forwarded_certificate_only_from_the_proxies_it_names(environment):
    environment.setenv("RS_ISSUER", "https://auth.example.test/realms/demo")
    assert conf.load("orders", default_audience="orders").mtls_cert_header == ""
    environment.setenv("RS_MTLS_CERT_HEADER", "Ssl-Client-Cert")
    with pytest.raises(env.ConfigurationError, match="RS_TRUSTED_PROXIES"):
        conf.load("orders", default_audience="orders")
    environment.setenv("RS_TRUSTED_PROXIES", "10.0.0.2")
    config = conf.load("orders", default_audience="orders")
    assert config.trusted_proxies == (ipaddress.ip_network("10.0.0.2/32"),)
    environment.setenv("RS_MTLS_CERT_HEADER", "Ssl_Client Cert")
    with pytest.raises(env.ConfigurationError, match="RS_MTLS_CERT_HEADER"):
        conf.load("orders", default_audience="orders")


def test_it_shares_the_ended_sessions_between_workers_with_or_without_redis(environment, tmp_path):
    """Every worker must read the sessions ended by logout tokens: Redis when there is one,
    else files that every worker of the machine reads."""
    environment.setenv("RS_VAR_DIR", str(tmp_path))
    without = conf.caches("orders")
    assert without["shared"]["BACKEND"].endswith("FileBasedCache")
    assert without["shared"]["LOCATION"] == str(tmp_path / "orders-shared-cache")

    environment.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")
    with_redis = conf.caches("orders")
    assert with_redis["shared"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert with_redis["shared"]["LOCATION"] == "redis://127.0.0.1:6379/5"
