"""A request that fails on our side: 503 with Retry-After when the database is unreachable (the
outage is simulated: every new cursor fails as a dropped connection does)."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def test_it_answers_503_when_the_database_cannot_be_reached(monkeypatch):
    realm = make_realm()

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    http = Client(raise_request_exception=False)
    # The realm is cached per process; a client of it needs the database.
    monkeypatch.setattr(connection, "cursor", unreachable)
    response = http.get(f"/realms/{realm.name}/account/consents")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response["Cache-Control"] == "no-store"
    assert b"server closed" not in response.content


def test_it_answers_a_plain_500_otherwise(monkeypatch):
    http = Client(raise_request_exception=False)

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("authserver.views.health.JsonResponse", broken)
    response = http.get("/healthz")

    assert response.status_code == 500
    assert b"secret detail" not in response.content
