"""The production path: gunicorn under deploy/gunicorn.conf.py with two workers. /metrics adds
up every worker's counts (prometheus_client's multiprocess mode), and with
AUTHSERVER_LOG_FORMAT=json every line it writes, access log and error log included, is one
JSON object."""

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.deploy import gunicorn
from tests.observability.scrape import value

# Its servers run on SQLite whatever the suite's database: one pass of `make test` is enough.
pytestmark = [pytest.mark.slow, pytest.mark.sqlite_pass]

DEMO_REALM = Path(__file__).resolve().parents[2] / "deploy" / "demo-realm.json"
# deploy/demo-realm.json's service client and its (local-only) secret.
SERVICE = ("orders-service", "orders-service-secret")
REQUESTS = 24
# Which worker the kernel hands a connection to is its choice: more are sent, eight at a time,
# until both have answered some, up to this many.
MAX_REQUESTS = 400


def _environment(tmp_path: Path, port: int) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}
    }
    env.update(
        DJANGO_DEBUG="0",
        AUTHSERVER_VAR_DIR=str(tmp_path / "var"),
        AUTHSERVER_URL=f"http://127.0.0.1:{port}",
        AUTHSERVER_BIND=f"127.0.0.1:{port}",
        AUTHSERVER_WORKERS="2",
        AUTHSERVER_LOG_FORMAT="json",
        AUTHSERVER_LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    return env


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=gunicorn.ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def _call(port: int, path: str, *, form: dict | None = None, headers=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if form is None else urllib.parse.urlencode(form).encode(),
        headers=headers or {},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 - loopback
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _worker_files(tmp_path: Path) -> list[Path]:
    """The counter files of the processes that counted something (prometheus_client names
    each after its process)."""
    return list((tmp_path / "metrics").glob("counter_*.db"))


def _scrape(port: int) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    status, _, body = _call(port, "/metrics")
    assert status == 200, body[:300]
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_it_adds_up_every_workers_metrics_and_logs_json_lines(tmp_path):
    port = gunicorn.free_port()
    env = _environment(tmp_path, port)
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "import_realm", str(DEMO_REALM))
    stale = tmp_path / "metrics" / "counter_999999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left by a previous master")
    basic = "Basic " + base64.b64encode(":".join(SERVICE).encode()).decode()
    stdout = tmp_path / "stdout"

    with (
        stdout.open("wb") as out,
        gunicorn.running("authserver.wsgi", port=port, env=env, stdout=out) as server,
    ):
        assert not stale.exists(), "a previous master's counts were kept"
        # Eight at once: while one worker answers, the other accepts.
        with ThreadPoolExecutor(8) as pool:

            def certs(count: int) -> list:
                path = "/realms/demo/protocol/openid-connect/certs"
                return list(pool.map(lambda _: _call(port, path), range(count)))

            answers = certs(REQUESTS)
            while len(_worker_files(tmp_path)) < 2 and len(answers) < MAX_REQUESTS:
                answers += certs(8)
        assert [status for status, _, _ in answers] == [200] * len(answers)
        ids = [headers["X-Request-ID"] for _, headers, _ in answers]
        status, _, body = _call(
            port,
            "/realms/demo/protocol/openid-connect/token",
            form={"grant_type": "client_credentials"},
            headers={"Authorization": basic},
        )
        assert status == 200, body
        token = json.loads(body)["access_token"]
        scraped = _scrape(port)
        # The image's HEALTHCHECK (Containerfile) against this server.
        healthcheck = subprocess.run(
            [sys.executable, "deploy/healthcheck.py"], cwd=gunicorn.ROOT, env=env, check=False
        )
        assert healthcheck.returncode == 0
        # Two workers wrote samples of their own.
        assert len(_worker_files(tmp_path)) == 2
        server.terminate()
        server.wait(timeout=20)
        errors = server.stderr.read().decode()

    jwks = {"endpoint": "jwks", "method": "GET", "status": "200"}
    assert value(scraped, "authserver_http_requests_total", **jwks) == len(answers)
    issued = {"realm": "demo", "client": SERVICE[0], "grant_type": "client_credentials"}
    assert value(scraped, "authserver_tokens_issued_total", **issued) == 1
    lines = [*stdout.read_text().splitlines(), *errors.splitlines()]
    records = [json.loads(line) for line in lines if line.strip()]
    access = [record for record in records if record.get("logger") == "gunicorn.access"]
    assert {record["request_id"] for record in access} >= set(ids)
    assert any(record.get("logger") == "gunicorn.error" for record in records)
    everything = "\n".join(lines)
    assert SERVICE[1] not in everything and token not in everything
