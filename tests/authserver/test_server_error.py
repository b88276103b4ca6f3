"""A request that fails on our side: 503 with Retry-After when the database cannot be reached or
stops answering (real failures: the settings point at a port where no database listens, or at a
server that accepts and never answers; another session holds a lock), a plain 500 otherwise."""

import base64
import json
import os
import signal
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.factories import make_realm


def _assert_retry_shortly(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_database_cannot_be_reached(unreachable_database):
    http = Client(raise_request_exception=False)
    # The realm's row is not cached yet: the request must read it.
    response = http.get("/realms/nowhere/account/consents")

    _assert_retry_shortly(response)
    assert response["Content-Type"].startswith("text/plain")
    assert b"connect" not in response.content and b"unable" not in response.content


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_within_the_connect_timeout_when_the_database_never_answers(
    hung_database,
):
    http = Client(raise_request_exception=False)

    started = time.monotonic()
    response = http.get("/realms/nowhere/protocol/openid-connect/certs")
    elapsed = time.monotonic() - started

    _assert_retry_shortly(response)
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": "the service is temporarily unavailable; retry shortly",
    }
    # Bounded by the connect timeout (3 s), not by gunicorn killing the worker at 30 s.
    assert elapsed < 5, elapsed


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_within_the_lock_timeout_when_a_table_stays_locked():
    if connection.vendor != "postgresql":
        pytest.skip("lock timeouts are PostgreSQL's")
    realm = make_realm()
    http = Client(raise_request_exception=False)
    params = connection.get_connection_params()
    with psycopg.connect(
        dbname=params["dbname"],
        user=params.get("user"),
        host=params.get("host"),
        port=params.get("port"),
        password=params.get("password"),
    ) as holder:
        # Another session takes the realms' table for itself, as a long migration or a stuck
        # maintenance job would; the lock goes after 20 s whatever happens, so that a server
        # without a lock timeout answers late (and fails the test) rather than never.
        holder.execute("LOCK TABLE accounts_realm IN ACCESS EXCLUSIVE MODE")
        release = threading.Timer(20, holder.rollback)
        release.start()
        try:
            started = time.monotonic()
            response = http.get(f"/realms/{realm.name}/.well-known/openid-configuration")
            elapsed = time.monotonic() - started
        finally:
            release.cancel()
            holder.rollback()

    _assert_retry_shortly(response)
    assert response.json()["error"] == "temporarily_unavailable"
    assert elapsed < 5, elapsed
    # The lock gone, the same server answers again.
    assert http.get(f"/realms/{realm.name}/.well-known/openid-configuration").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_database_freezes_under_an_open_connection():
    if connection.vendor != "postgresql":
        pytest.skip("a frozen database server needs PostgreSQL")
    realm = make_realm()
    http = Client(raise_request_exception=False)
    # The connection the request will use is open; then the server process behind it stops
    # (SIGSTOP), as a frozen host's would: it enforces no statement timeout, answers nothing,
    # and its kernel still acknowledges every packet. It goes on after 20 s whatever happens.
    backend = connection.cursor().connection.info.backend_pid
    try:
        os.kill(backend, signal.SIGSTOP)
    except PermissionError:
        pytest.skip("stopping a PostgreSQL process needs its user or root")
    resume = threading.Timer(20, os.kill, (backend, signal.SIGCONT))
    resume.start()
    try:
        started = time.monotonic()
        response = http.get(f"/realms/{realm.name}/.well-known/openid-configuration")
        elapsed = time.monotonic() - started
    finally:
        resume.cancel()
        os.kill(backend, signal.SIGCONT)
        # What a server does at the end of the request (close_old_connections), which the test
        # client leaves out: the broken connection goes.
        connection.close()

    _assert_retry_shortly(response)
    assert response.json()["error"] == "temporarily_unavailable"
    # The statement timeout (5 s) and the client's grace (2 s), not gunicorn's 30 s.
    assert elapsed < 9, elapsed
    assert http.get(f"/realms/{realm.name}/.well-known/openid-configuration").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_in_json_at_the_admin_api(unreachable_database):
    # A token naming its issuing realm, which the API must then read.
    claims = {"iss": f"{settings.AUTHSERVER_URL}/realms/nowhere", "sub": "someone"}
    token = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
        for part in ({"alg": "RS256", "typ": "JWT"}, claims, "")
    )
    response = Client(raise_request_exception=False).get(
        "/admin/realms/nowhere/clients", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    _assert_retry_shortly(response)
    assert response.json()["error"] == "temporarily_unavailable"


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
