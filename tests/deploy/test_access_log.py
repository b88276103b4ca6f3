"""The access log of deploy/gunicorn.conf.py (authserver/access_log.py): gunicorn serving the
real application on loopback, and the logger on its own for what a live server rarely sends."""

import contextlib
import datetime
import http.client
import logging
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from gunicorn.config import Config

from authserver.access_log import AccessLogger
from tests.deploy import gunicorn

# Its servers run on SQLite whatever the suite's database: one pass of `make test` is enough.
pytestmark = pytest.mark.sqlite_pass

LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<address>\S+) "
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<length>\d+) (?P<ms>\d+\.\d{3})ms'
)


@contextlib.contextmanager
def _gunicorn(tmp_path: Path, **env):
    """The application under deploy/gunicorn.conf.py, one worker, SQLite in tmp_path (the
    requests below need no database). Yields (port, master process, stdout file); the server
    has stopped, and flushed its output, when the block ends."""
    port = gunicorn.free_port()
    full = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "AUTHSERVER_ACCESS_LOG"}
    }
    full.update(
        DJANGO_DEBUG="0",
        AUTHSERVER_VAR_DIR=str(tmp_path / "var"),
        AUTHSERVER_URL=f"http://127.0.0.1:{port}",
        AUTHSERVER_BIND=f"127.0.0.1:{port}",
        AUTHSERVER_WORKERS="1",
        **env,
    )
    stdout = tmp_path / "stdout"
    with (
        stdout.open("wb") as out,
        gunicorn.running("authserver.wsgi", port=port, env=full, stdout=out) as server,
    ):
        yield port, server, stdout


def _get(port: int, target: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("GET", target)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _access_lines(path: Path) -> list[re.Match]:
    if not path.exists():
        return []
    return [match for line in path.read_text().splitlines() if (match := LINE.fullmatch(line))]


def _assert_logged(lines: list[re.Match], request: str, status: int, body: bytes) -> None:
    (line,) = [line for line in lines if line["request"] == request]
    assert line["address"] == "127.0.0.1"
    assert int(line["status"]) == status
    assert int(line["length"]) == len(body)
    assert 0 < float(line["ms"]) < 20_000
    logged = datetime.datetime.fromisoformat(line["time"])
    assert abs(datetime.datetime.now(datetime.UTC) - logged) < datetime.timedelta(minutes=1)


def test_it_logs_each_request_to_stdout(tmp_path):
    with _gunicorn(tmp_path) as (port, _, stdout):
        alive = _get(port, "/healthz")
        missing = _get(port, "/no-such-page?client_id=app&state=xyz")
    assert alive[0] == 200
    assert missing[0] == 404
    lines = _access_lines(stdout)
    assert len(lines) == 2
    _assert_logged(lines, "GET /healthz HTTP/1.1", 200, alive[1])
    _assert_logged(lines, "GET /no-such-page?client_id=app&state=*** HTTP/1.1", 404, missing[1])


# What a browser's requests carry in their query: a code on its way to a client, hints naming
# the user and holding their ID token, and the login page's whole authorization request.
SECRETS = {
    "code": "c0de-5ecret",
    "id_token_hint": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl",
    "login_hint": "alice%40example.com",
    "state": "st4te-value",
    "nonce": "n0nce-value",
    "token": "t0ken-value",
    "client_secret": "s3cret-value",
}


def test_it_hides_the_values_of_sensitive_query_parameters(tmp_path):
    query = "&".join(f"{name}={value}" for name, value in SECRETS.items())
    authorize = (
        "/realms/demo/protocol/openid-connect/auth?client_id=app&response_type=code&scope=openid"
        f"&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&{query}"
    )
    login = "/realms/demo/login?next=%2Frealms%2Fdemo%2Fauth%3Flogin_hint%3Dalice%2540example.com"
    with _gunicorn(tmp_path) as (port, _, stdout):
        _get(port, authorize)
        _get(port, login)
        _get(port, "/callback?code=&%63ode=escaped-c0de&flag")
    logged = stdout.read_text()
    requests = [line["request"] for line in _access_lines(stdout)]
    assert requests == [
        "GET /realms/demo/protocol/openid-connect/auth?client_id=app&response_type=code"
        "&scope=openid&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&"
        + "&".join(f"{name}=***" for name in SECRETS)
        + " HTTP/1.1",
        "GET /realms/demo/login?next=*** HTTP/1.1",
        "GET /callback?code=&%63ode=***&flag HTTP/1.1",
    ]
    for value in [*SECRETS.values(), "alice", "escaped-c0de"]:
        assert value not in logged


def test_it_logs_no_query_for_the_sample_services(tmp_path):
    port = gunicorn.free_port()
    env = {
        **{
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        },
        "RS_BIND": f"127.0.0.1:{port}",
        "RS_VAR_DIR": str(tmp_path / "var"),
        "AUTHSERVER_WORKERS": "1",
        "RS_ISSUER": "http://127.0.0.1:9/realms/demo",
    }
    stdout = tmp_path / "stdout"
    with (
        stdout.open("wb") as out,
        gunicorn.running("resource_server.payments.wsgi", port=port, env=env, stdout=out),
    ):
        status, _ = _get(port, "/api/payments?access_token=t0ken-value")
    logged = stdout.read_text()
    assert f'"GET /api/payments HTTP/1.1" {status} ' in logged
    assert "t0ken-value" not in logged


def test_it_logs_to_the_file_named_by_authserver_access_log(tmp_path):
    destination = tmp_path / "access.log"
    with _gunicorn(tmp_path, AUTHSERVER_ACCESS_LOG=str(destination)) as (port, _, stdout):
        alive = _get(port, "/healthz")
        missing = _get(port, "/no-such-page")
    lines = _access_lines(destination)
    assert len(lines) == 2
    _assert_logged(lines, "GET /healthz HTTP/1.1", 200, alive[1])
    _assert_logged(lines, "GET /no-such-page HTTP/1.1", 404, missing[1])
    assert _access_lines(stdout) == []


def test_it_writes_no_access_line_when_off(tmp_path):
    with _gunicorn(tmp_path, AUTHSERVER_ACCESS_LOG="off") as (port, _, stdout):
        assert _get(port, "/healthz")[0] == 200
        assert _get(port, "/no-such-page")[0] == 404
    assert "GET /" not in stdout.read_text()
    assert not (gunicorn.ROOT / "off").exists()


def test_it_reopens_its_file_on_usr1(tmp_path):
    destination = tmp_path / "access.log"
    rotated = tmp_path / "access.log.1"
    with _gunicorn(tmp_path, AUTHSERVER_ACCESS_LOG=str(destination)) as (port, server, _):
        _get(port, "/healthz")
        # The worker writes the line after the answer: wait for it before rotating.
        deadline = time.monotonic() + 20
        while not _access_lines(destination):
            assert time.monotonic() < deadline, "the worker never logged the request"
            time.sleep(0.05)
        destination.rename(rotated)
        server.send_signal(signal.SIGUSR1)
        # The master reopens its files, then tells the worker to: poll until the worker has.
        deadline = time.monotonic() + 20
        while not _access_lines(destination):
            assert time.monotonic() < deadline, "the worker never reopened the access log"
            _get(port, "/no-such-page")
            time.sleep(0.1)
    assert _access_lines(rotated)[0]["request"] == "GET /healthz HTTP/1.1"
    assert _access_lines(destination)[-1]["request"] == "GET /no-such-page HTTP/1.1"


@pytest.mark.parametrize("value", ["0", "false", "no", "none"])
def test_it_refuses_a_flag_for_a_destination(value):
    result = subprocess.run(
        [
            str(gunicorn.GUNICORN),
            "-c",
            str(gunicorn.ROOT / "deploy" / "gunicorn.conf.py"),
            "--check-config",
            "authserver.wsgi",
        ],
        cwd=gunicorn.ROOT,
        env={**os.environ, "AUTHSERVER_ACCESS_LOG": value},
        capture_output=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "AUTHSERVER_ACCESS_LOG is" in (result.stdout + result.stderr).decode()


# --- the logger alone ---------------------------------------------------------------------


class _Response:
    def __init__(self, status="200 OK", sent=42):
        self.status = status
        self.sent = sent
        self.headers = []


@pytest.fixture
def access_logger(tmp_path):
    """An AccessLogger writing to tmp_path/access.log; gunicorn's loggers restored after."""
    logs = [logging.getLogger("gunicorn.access"), logging.getLogger("gunicorn.error")]
    propagate = [log.propagate for log in logs]
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    yield AccessLogger(cfg)
    for log, saved in zip(logs, propagate, strict=True):
        for handler in [handler for handler in log.handlers if getattr(handler, "_gunicorn", 0)]:
            log.removeHandler(handler)
            handler.close()
        log.propagate = saved


def _environ(raw_uri="/healthz"):
    return {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
    }


def test_it_escapes_quotes_and_control_characters_in_the_request_line(access_logger, tmp_path):
    duration = datetime.timedelta(microseconds=1500)
    access_logger.access(_Response(), None, _environ('/a"b\\c\x1b[2J'), duration)
    (line,) = (tmp_path / "access.log").read_text().splitlines()
    assert line.endswith(' 10.0.0.7 "GET /a\\"b\\\\c\\x1b[2J HTTP/1.1" 200 42 1.500ms')


def test_it_logs_an_answer_without_a_status_or_body(access_logger, tmp_path):
    access_logger.access(
        _Response(status=None, sent=None), None, {}, datetime.timedelta(milliseconds=3)
    )
    (line,) = (tmp_path / "access.log").read_text().splitlines()
    assert line.endswith(' - "- - -" - - 3.000ms')


def test_it_never_lets_a_failing_log_break_the_request(access_logger, tmp_path):
    class Broken:
        def write(self, text):
            raise OSError("disk full")

        def close(self):
            pass

    handlers = logging.getLogger("gunicorn.access").handlers
    (handler,) = [handler for handler in handlers if isinstance(handler, logging.FileHandler)]
    handler.stream = Broken()
    access_logger.access(_Response(), None, _environ(), datetime.timedelta(milliseconds=1))
    assert "disk full" in (tmp_path / "error.log").read_text()


def test_it_hands_other_handlers_a_log_record(access_logger, tmp_path):
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    collect = Collect()
    logging.getLogger("gunicorn.access").addHandler(collect)
    try:
        access_logger.access(_Response(), None, _environ(), datetime.timedelta(milliseconds=1))
    finally:
        logging.getLogger("gunicorn.access").removeHandler(collect)
    assert len(records) == 1
    assert records[0] == (tmp_path / "access.log").read_text().rstrip("\n")


def test_it_hides_query_values_in_the_error_log_too(access_logger, tmp_path):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        access_logger.exception(
            "Error handling request %s %s", "GET", "/realms/demo/auth?client_id=app&code=c0de"
        )
    logged = (tmp_path / "error.log").read_text()
    assert "Error handling request GET /realms/demo/auth?client_id=app&code=***" in logged
    assert "c0de" not in logged
