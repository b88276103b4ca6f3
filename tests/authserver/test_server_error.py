"""A request that fails on our side: 503 with Retry-After when the database cannot be reached
(a real failed connection: the settings point at a port where no database listens)."""

import pytest
from django.db import connection
from django.test import Client

from tests.factories import make_realm


@pytest.fixture
def unreachable_database():
    if connection.vendor != "postgresql":
        # The SQLite test database lives in memory: its connection cannot be dropped and kept.
        pytest.skip("a dropped database connection needs PostgreSQL")
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_database_cannot_be_reached(unreachable_database):
    http = Client(raise_request_exception=False)
    # The realm's row is not cached yet: the request must read it.
    response = http.get("/realms/nowhere/account/consents")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response["Cache-Control"] == "no-store"
    assert b"connect" not in response.content and b"unable" not in response.content


@pytest.mark.django_db
def test_it_answers_a_plain_500_otherwise(monkeypatch):
    make_realm()
    http = Client(raise_request_exception=False)

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("authserver.views.health.JsonResponse", broken)
    response = http.get("/healthz")

    assert response.status_code == 500
    assert b"secret detail" not in response.content
