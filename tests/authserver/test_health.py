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
