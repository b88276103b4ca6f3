"""deploy/gunicorn.conf.py imports the application once, in the master, and forks the workers
from it; nothing the master opened while importing is shared with them."""

import http.client
import json
import os

import pytest

from tests import interpreter
from tests.deploy import gunicorn

APP = "tests.deploy.preload_app:application"


def _serve(tmp_path, **env):
    port = gunicorn.free_port()
    full = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "AUTHSERVER_VAR_DIR": str(tmp_path / "var"),
        "AUTHSERVER_BIND": f"127.0.0.1:{port}",
        "AUTHSERVER_WORKERS": "2",
        **env,
    }
    return port, gunicorn.running(APP, port=port, env=full)


def _answers(port: int, count: int) -> list[dict]:
    answers = []
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.status == 200
            answers.append(json.loads(response.read()))
        finally:
            connection.close()
    return answers


def test_the_workers_are_forked_from_a_master_that_imported_the_application(tmp_path):
    port, server = _serve(tmp_path)
    with server as master:
        answers = _answers(port, 6)
    assert {answer["imported_in"] for answer in answers} == {master.pid}
    assert master.pid not in {answer["pid"] for answer in answers}


def test_a_database_connection_opened_while_importing_is_not_handed_to_the_workers(tmp_path):
    port, server = _serve(tmp_path)
    with server:
        answers = _answers(port, 6)
    first_of_each_worker = {}
    for answer in answers:
        first_of_each_worker.setdefault(answer["pid"], answer)
    assert [answer["inherited_connection"] for answer in first_of_each_worker.values()] == [
        False
    ] * len(first_of_each_worker)
    assert all(answer["query"] == 1 for answer in answers)


@pytest.mark.parametrize("value", ["0", "off"])
def test_preloading_can_be_turned_off(tmp_path, value):
    port, server = _serve(tmp_path, AUTHSERVER_PRELOAD=value)
    with server as master:
        answers = _answers(port, 4)
    assert all(answer["imported_in"] == answer["pid"] != master.pid for answer in answers)


WARM_UP_CHECK = """
import sys
import authserver.wsgi
from django.core.cache import caches
from django.db import connections

imported = [name for name in EXPECTED if name in sys.modules]
open_connections = [alias for alias in connections if connections[alias].connection is not None]
cache_sockets = [
    alias
    for alias in caches
    for pool in getattr(getattr(caches[alias], "client", None), "_clients", None) or []
    if pool is not None and pool.connection_pool._created_connections
]
print(imported, open_connections, cache_sockets)
"""


def test_building_the_application_imports_what_a_first_request_would_and_connects_nothing(
    tmp_path,
):
    """What the master forks the workers with (authserver/warmup.py)."""
    expected = ["authserver.views.token", "oauthlib.oauth2", "authserver.protocol.validator"]
    if os.environ.get("REDIS_URL"):
        expected.append("django_redis.client.default")
    printed = interpreter.output_of(
        f"EXPECTED = {expected!r}\n" + WARM_UP_CHECK,
        DJANGO_DEBUG="0",
        AUTHSERVER_VAR_DIR=str(tmp_path / "var"),
    )
    assert printed == f"{expected!r} [] []"


def test_a_worker_is_replaced_after_AUTHSERVER_MAX_REQUESTS_requests(tmp_path):
    """A tenth of 3 is no jitter: each worker serves exactly three requests."""
    port, server = _serve(tmp_path, AUTHSERVER_WORKERS="1", AUTHSERVER_MAX_REQUESTS="3")
    with server as master:
        pids = [answer["pid"] for answer in _answers(port, 7)]
    assert pids[:3] == [pids[0]] * 3
    assert pids[3:6] == [pids[3]] * 3
    assert len({pids[0], pids[3], pids[6]}) == 3
    assert master.pid not in pids
