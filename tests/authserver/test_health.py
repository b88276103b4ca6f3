import threading
import time

import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_it_reports_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_it_is_ready_when_database_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_it_reports_a_down_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "down": {"redis": "down"}}


@pytest.mark.django_db(transaction=True)
def test_it_reports_a_hung_database_within_two_seconds(client, hung_database):
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["down"]["database"] == "down"
    assert elapsed < 3, elapsed

    # A second check while the first probe still waits on the database joins it: as quick,
    # as down, and no second thread waits on the database.
    started = time.monotonic()
    assert client.get("/readyz").status_code == 503
    assert time.monotonic() - started < 3
    probes = [thread for thread in threading.enumerate() if thread.name == "readiness-database"]
    assert len(probes) <= 1


@pytest.mark.django_db(transaction=True)
def test_it_reports_a_database_that_refuses_connections(client, unreachable_database):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["down"]["database"] == "down"
