import os

import pytest
from django.conf import settings


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
def _clear_cache():
    """Each test starts with an empty cache (Redis when REDIS_URL is set, else in-process)."""
    from django.core.cache import cache

    cache.clear()
    yield


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}; cache: {'redis' if settings.REDIS_URL else 'in-process'}"
