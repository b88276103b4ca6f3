"""What gunicorn under deploy/gunicorn.conf.py says about itself: no version in a Server header,
for the server and the sample services alike; TRACE refused once it reaches the application."""

import http.client
import os

import pytest

from tests.deploy import gunicorn

# Its servers run on SQLite whatever the suite's database: one pass of `make test` is enough.
pytestmark = pytest.mark.sqlite_pass


def _environment(tmp_path, port: int) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_DEBUG="0",
        AUTHSERVER_VAR_DIR=str(tmp_path / "var"),
        AUTHSERVER_URL=f"http://127.0.0.1:{port}",
        AUTHSERVER_BIND=f"127.0.0.1:{port}",
        AUTHSERVER_WORKERS="1",
        AUTHSERVER_ACCESS_LOG="off",
        RS_BIND=f"127.0.0.1:{port}",
        RS_VAR_DIR=str(tmp_path / "rs"),
        RS_ISSUER="http://127.0.0.1:9/realms/demo",
    )
    return env


def _request(port: int, method: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    connection.request(method, path)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


@pytest.mark.parametrize(
    ("app", "path"),
    [("authserver.wsgi", "/healthz"), ("resource_server.payments.wsgi", "/api/public/health")],
)
def test_it_names_no_server_version(tmp_path, app, path):
    port = gunicorn.free_port()
    with gunicorn.running(app, port=port, env=_environment(tmp_path, port)):
        answers = [_request(port, method, path) for method in ("GET", "TRACE")]
    assert answers[0].status == 200
    for answer in answers:
        server = answer.getheader("Server") or ""
        assert "/" not in server and not any(char.isdigit() for char in server), server
        assert answer.getheader("X-Powered-By") is None


def test_it_refuses_trace_behind_gunicorn(tmp_path):
    port = gunicorn.free_port()
    with gunicorn.running("authserver.wsgi", port=port, env=_environment(tmp_path, port)):
        answer = _request(port, "TRACE", "/healthz")
    assert answer.status == 405
