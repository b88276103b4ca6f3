"""Clients that send their requests slowly must not starve the server: `make run`
(deploy/run-all.sh, waitress) and gunicorn behind the shipped nginx configuration
(deploy/nginx/authserver.conf) each keep answering a normal request at once while 30
connections trickle their headers or their bodies. Loopback only; every connection is closed
when the test ends."""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.deploy import gunicorn

# Its servers run on SQLite whatever the suite's database: one pass of `make test` is enough.
pytestmark = pytest.mark.sqlite_pass

ROOT = gunicorn.ROOT
SLOW_CLIENTS = 30
# A normal request is answered in milliseconds; this bound leaves room for a loaded machine
# and is still far below what a starved server takes (gunicorn's 30 s worker timeout, then the
# next slow connection in line).
PROMPTLY = 3.0


class SlowClients:
    """``count`` connections that never finish their request: half send headers a byte at a
    time, half send complete headers of a POST and then its body a byte at a time. A byte goes
    out on each every half second until the block ends (a server may close one: that is its
    right, and the trickle goes on on the others)."""

    def __init__(self, port: int, count: int = SLOW_CLIENTS):
        self.port = port
        self.count = count
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()

    def __enter__(self):
        for number in range(self.count):
            connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if number % 2:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            else:
                connection.sendall(
                    b"POST /realms/demo/protocol/openid-connect/token HTTP/1.1\r\n"
                    b"Host: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 100000\r\n\r\ngrant_type="
                )
            self.sockets.append(connection)
        self.ticker = threading.Thread(target=self._trickle, daemon=True)
        self.ticker.start()
        # Long enough for the server to have taken every connection in.
        time.sleep(1)
        return self

    def _trickle(self):
        while not self.stop.wait(0.5):
            for connection in self.sockets:
                with contextlib.suppress(OSError):
                    connection.send(b"a")

    def __exit__(self, *exc):
        self.stop.set()
        self.ticker.join(timeout=5)
        for connection in self.sockets:
            connection.close()


def _timed_get(port: int, target: str = "/healthz") -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    started = time.monotonic()
    try:
        connection.request("GET", target)
        answer = connection.getresponse()
        answer.read()
        return answer.status, time.monotonic() - started
    except TimeoutError:
        return 0, time.monotonic() - started
    finally:
        connection.close()


def _assert_served_promptly(port: int) -> None:
    for _ in range(5):
        status, elapsed = _timed_get(port)
        assert status == 200, f"no answer within {elapsed:.1f} s"
        assert elapsed < PROMPTLY, elapsed


def _wait_listening(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not start listening")
            time.sleep(0.2)


def _environment(tmp_path: Path, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DJANGO_DEBUG="0", AUTHSERVER_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


@contextlib.contextmanager
def _make_run(tmp_path: Path):
    """deploy/run-all.sh as `make run` starts it (its three services on free ports, SQLite
    under tmp_path); stopped, with everything it started, when the block ends."""
    port = gunicorn.free_port()
    env = _environment(
        tmp_path,
        BIN=str(Path(sys.executable).parent),
        AUTHSERVER_BIND=f"127.0.0.1:{port}",
        AUTHSERVER_URL=f"http://127.0.0.1:{port}",
        ORDERS_BIND=f"127.0.0.1:{gunicorn.free_port()}",
        PAYMENTS_BIND=f"127.0.0.1:{gunicorn.free_port()}",
        RS_VAR_DIR=str(tmp_path / "var"),
    )
    script = subprocess.Popen(
        [str(ROOT / "deploy" / "run-all.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_listening(port, script, "deploy/run-all.sh")
        yield port
    finally:
        # The script stops its services on TERM; its whole group goes if it does not.
        script.terminate()
        try:
            script.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()


def test_it_serves_a_normal_request_while_slow_clients_trickle_under_make_run(tmp_path):
    with _make_run(tmp_path) as port, SlowClients(port):
        _assert_served_promptly(port)


NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
)


def _nginx_configuration(tmp_path: Path, *, listen: int, upstream: int) -> Path:
    """The shipped site file, with its listening port and gunicorn's address moved to free
    loopback ports, inside the minimal main configuration Debian's nginx.conf provides."""
    site = (ROOT / "deploy" / "nginx" / "authserver.conf").read_text()
    assert "listen 80;" in site and "server 127.0.0.1:8000;" in site
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    (tmp_path / "authserver.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        f"{user}worker_processes 1;\npid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log off;\n    include {tmp_path / 'authserver.conf'};\n"
        "}\n"
    )
    return main


def _nginx_command(tmp_path: Path, main: Path, *options: str) -> list[str]:
    return [
        NGINX,
        *options,
        "-p",
        str(tmp_path),
        "-e",
        str(tmp_path / "error.log"),
        "-c",
        str(main),
    ]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's)")
def test_the_shipped_nginx_configuration_is_valid(tmp_path):
    main = _nginx_configuration(tmp_path, listen=gunicorn.free_port(), upstream=8000)
    check = subprocess.run(
        _nginx_command(tmp_path, main, "-t", "-q"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's)")
def test_it_serves_a_normal_request_while_slow_clients_trickle_through_nginx(tmp_path):
    upstream = gunicorn.free_port()
    listen = gunicorn.free_port()
    main = _nginx_configuration(tmp_path, listen=listen, upstream=upstream)
    env = _environment(
        tmp_path,
        AUTHSERVER_BIND=f"127.0.0.1:{upstream}",
        AUTHSERVER_URL=f"http://127.0.0.1:{listen}",
        AUTHSERVER_WORKERS="2",
        AUTHSERVER_ACCESS_LOG="off",
    )
    with gunicorn.running("authserver.wsgi", port=upstream, env=env):
        proxy = subprocess.Popen(
            _nginx_command(tmp_path, main, "-g", "daemon off;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_listening(listen, proxy, "nginx")
            with SlowClients(listen):
                _assert_served_promptly(listen)
        finally:
            proxy.terminate()
            try:
                proxy.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proxy.kill()
                proxy.wait()
