"""deploy/run-cluster.sh on free loopback ports, against a PostgreSQL database and a Redis
database of its own, and what the tests ask of it: requests through the gateway (from any loopback
address), which node served a request (the gateway's access log), killing a node."""

import base64
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.conf import settings

from tests.deploy.gunicorn import free_port

ROOT = Path(settings.BASE_DIR)
SCRIPT = ROOT / "deploy" / "run-cluster.sh"
BASH = shutil.which("bash") or "/bin/bash"
REALM = "demo"
STARTUP_SECONDS = 180
POSTGRES = os.environ.get("CLUSTER_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# The suite empties its own Redis database before every test: shared with the cluster, that
# would also take what the nodes share (a key rotation's announcement, sessions, limits).
CLUSTER_REDIS_DB = 15


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    request_id: str

    def json(self):
        return json.loads(self.body)

    def all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


@dataclass
class Cluster:
    directory: Path
    port: int
    nodes: dict[str, str]  # name -> host:port
    env: dict = field(repr=False)
    redis_url: str = field(repr=False, default="")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    @property
    def ca(self) -> Path:
        return self.directory / "certs" / "ca.crt"

    def bind(self, name: str) -> tuple[str, int]:
        """Where a process of the cluster listens (orders, payments, tokencheck)."""
        host, port = self.env[f"{name.upper()}_BIND"].rsplit(":", 1)
        return host, int(port)

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict | None = None,
        form: dict | None = None,
        body: bytes | None = None,
        source: str = "127.0.0.1",
        timeout: float = 30,
    ) -> Answer:
        """One request through the gateway, from ``source`` (a loopback address), with a request
        id of its own unless ``headers`` names one."""
        sent = {"X-Request-ID": uuid.uuid4().hex, **(headers or {})}
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.tls(), timeout=timeout, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            return Answer(answer.status, answer.headers, answer.read(), sent["X-Request-ID"])
        finally:
            connection.close()

    def token(self, form: dict, *, client: tuple[str, str], source: str = "127.0.0.1") -> Answer:
        basic = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
        return self.request(
            "POST",
            f"/realms/{REALM}/protocol/openid-connect/token",
            form=form,
            headers={"Authorization": f"Basic {basic}"},
            source=source,
        )

    def forget_rate_limits(self) -> None:
        """Empty every rate-limit bucket of the cluster (the nodes', the gateway's), and only
        those: each test starts with full buckets, as the suite's own cache is emptied."""
        store = redis.Redis.from_url(self.redis_url)
        buckets = list(store.scan_iter(match="*ratelimit:*", count=1000))
        if buckets:
            store.delete(*buckets)

    # --- which node served what ------------------------------------------------------------------
    def log_lines(self) -> list[dict]:
        path = self.directory / "logs" / "gateway-access.log"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def served_by(self, request_id: str) -> str:
        """The node (node1, node2) that answered the request, per the gateway's access log."""
        deadline = time.monotonic() + 5
        while True:
            for line in self.log_lines():
                if line["request_id"] == request_id:
                    upstream = line["upstream"].split(",")[-1].strip()
                    names = [name for name, bind in self.nodes.items() if bind == upstream]
                    assert names, f"{request_id} went to {line['upstream']!r}, not a node"
                    return names[0]
            if time.monotonic() > deadline:
                pytest.fail(f"request {request_id} is not in the gateway's access log")
            time.sleep(0.05)

    # --- nodes ---------------------------------------------------------------------------------
    def pid(self, name: str) -> int:
        return int((self.directory / "run" / f"{name}.pid").read_text())

    def kill(self, name: str) -> int:
        """SIGKILL the whole node (its gunicorn master and workers), as a lost machine."""
        pid = self.pid(name)
        os.killpg(pid, signal.SIGKILL)
        return pid

    def wait_back(self, name: str, killed: int) -> None:
        """Until the supervisor has started the node again and the gateway routes to it."""
        deadline = time.monotonic() + 90
        while self.pid(name) == killed or not _listening(self.nodes[name]):
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not come back")
            time.sleep(0.2)
        while True:
            answer = self.request("GET", f"/realms/{REALM}/.well-known/openid-configuration")
            if answer.status == 200 and self.served_by(answer.request_id) == name:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the gateway does not route to {name} again")
            time.sleep(0.2)

    def manage(self, *args: str) -> str:
        """manage.py with a node's environment (the same database, Redis and secrets)."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout


def _listening(bind: str) -> bool:
    host, port = bind.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
    except OSError:
        return False
    return True


def _postgres(database: str) -> str:
    return POSTGRES.rsplit("/", 1)[0] + "/" + database


def _own_redis(suite_url: str) -> str:
    """The suite's Redis server, another database of it (emptied)."""
    parts = urlsplit(suite_url)
    suite_db = int(parts.path.strip("/") or 0)
    database = CLUSTER_REDIS_DB if suite_db != CLUSTER_REDIS_DB else CLUSTER_REDIS_DB - 1
    url = urlunsplit(parts._replace(path=f"/{database}"))
    redis.Redis.from_url(url).flushdb()
    return url


@contextlib.contextmanager
def running(directory: Path, *, realm_file: Path, extra_env: dict):
    """The cluster of deploy/run-cluster.sh, ready; everything it started stopped afterwards,
    and its database dropped."""
    if not settings.REDIS_URL:
        pytest.fail("the cluster needs Redis: set REDIS_URL (make test does)")
    try:
        redis_url = _own_redis(settings.REDIS_URL)
    except redis.RedisError as error:
        pytest.fail(f"the cluster needs Redis ({settings.REDIS_URL}): {error}")
    database = f"cluster_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
    except psycopg.Error as error:
        pytest.fail(f"the cluster needs PostgreSQL ({POSTGRES}): {error}")
    port = free_port()
    nodes = {"node1": f"127.0.0.1:{free_port()}", "node2": f"127.0.0.1:{free_port()}"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AUTHSERVER_", "RS_", "GATEWAY_", "PYTEST_"))
    }
    env.update(
        BIN=str(Path(sys.executable).parent),
        CLUSTER_DIR=str(directory),
        CLUSTER_REALM_FILE=str(realm_file),
        DATABASE_URL=_postgres(database),
        REDIS_URL=redis_url,
        GATEWAY_LISTEN=f"127.0.0.1:{port}",
        NODE1_BIND=nodes["node1"],
        NODE2_BIND=nodes["node2"],
        ORDERS_BIND=f"127.0.0.1:{free_port()}",
        PAYMENTS_BIND=f"127.0.0.1:{free_port()}",
        TOKENCHECK_BIND=f"127.0.0.1:{free_port()}",
        **extra_env,
    )
    output = directory.parent / f"{directory.name}.out"
    with output.open("w") as written:
        script = subprocess.Popen(
            [BASH, str(SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=written,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # What manage.py needs to act as a node would (rotate_keys on one node).
    node_env = {
        **env,
        "AUTHSERVER_URL": f"https://127.0.0.1:{port}",
        "DJANGO_SECRET_KEY_FILE": str(directory / "secrets" / "secret_key"),
        "AUTHSERVER_KEY_ENCRYPTION_KEY_FILE": str(directory / "secrets" / "key_encryption_key"),
        "AUTHSERVER_VAR_DIR": str(directory / "var"),
        "DJANGO_DEBUG": "0",
    }
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while "cluster ready" not in output.read_text():
            if script.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"deploy/run-cluster.sh did not start:\n{output.read_text()[-4000:]}")
            time.sleep(0.2)
        yield Cluster(
            directory=directory, port=port, nodes=nodes, env=node_env, redis_url=redis_url
        )
    finally:
        _stop(script, directory)
        redis.Redis.from_url(redis_url).flushdb()
        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _stop(script: subprocess.Popen, directory: Path) -> None:
    """TERM to the script, which stops what it started; if it does not within 40 s, its own
    group and then each process group it recorded are killed."""
    if script.poll() is not None:
        return
    script.terminate()
    try:
        script.wait(timeout=40)
        return
    except subprocess.TimeoutExpired:
        os.killpg(script.pid, signal.SIGKILL)
        script.wait()
    for pid_file in (directory / "run").glob("*.pid"):
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
