import os

import pytest
from django.conf import settings

# `make test` runs the suite on SQLite, then on PostgreSQL (Makefile). The real clients' and
# browsers' tests against a live server (tests/e2e/) need to run in one pass only: the
# PostgreSQL one, the database production runs on; the rest of the suite holds the protocol to
# both databases. The cluster (tests/cluster/) runs on a PostgreSQL database of its own in
# either pass. The browser's walk through a login stays in both, as `make run` serves it on SQLite.
# Tests that start gunicorn on SQLite whatever the pass's database say so themselves
# (``pytest.mark.sqlite_pass``).
POSTGRESQL_PASS = ("tests/e2e/", "tests/cluster/")
BOTH_PASSES = frozenset({"tests/e2e/test_browser_flow.py"})


def pytest_configure(config):
    # The live server answers each request in a thread of its own; a connection kept open by
    # such a thread would outlive the test database and block its removal.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path.relative_to(settings.BASE_DIR).as_posix()
        if path.startswith(POSTGRESQL_PASS) and path not in BOTH_PASSES:
            item.add_marker(pytest.mark.postgresql_pass)


def pytest_sessionstart(session):
    """Under CI every service the suite needs must answer: fail loudly, never skip."""
    from authserver import health

    problems = []
    if os.environ.get("CI") == "true":
        if not settings.REDIS_URL:
            problems.append("REDIS_URL is not set")
        elif not health.redis_answers():
            problems.append(f"Redis at {settings.REDIS_URL} does not answer")
    if problems:
        pytest.exit("required services are missing: " + "; ".join(problems), returncode=3)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2id still, with test-sized parameters: the suite creates hundreds of users."""
    settings.PASSWORD_HASHERS = [
        "tests.hashers.FastArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (Redis when REDIS_URL is set, else in-process), and
    without the process's parsed signing keys: database rows roll back between tests."""
    from django.core.cache import cache

    from accounts import process_cache, ratelimit
    from authserver.keys import store

    cache.clear()
    ratelimit.forget_leases()
    store.clear_caches()
    process_cache.clear_all()
    yield
    store.clear_caches()
    process_cache.clear_all()


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}; cache: {'redis' if settings.REDIS_URL else 'in-process'}"


@pytest.fixture(scope="session")
def client_ca():
    """A CA that issues the clients' certificates of the mutual-TLS tests (tests/pki.py)."""
    from tests import pki

    return pki.Authority()


@pytest.fixture
def mtls(settings, tmp_path, client_ca):
    """Client certificates on: ``client_ca`` is trusted for tls_client_auth, and a trusted
    proxy (the test client's 127.0.0.1) forwards the certificate in ``pki.HEADER``."""
    from tests import pki

    ca = tmp_path / "client-ca.pem"
    ca.write_text(client_ca.pem)
    settings.AUTHSERVER_MTLS_CA = str(ca)
    settings.AUTHSERVER_MTLS_CERT_HEADER = pki.HEADER
    settings.AUTHSERVER_MTLS_ENABLED = True
    return settings
