"""make bench: the authorization server under gunicorn, driven over loopback by wrk.

    python bench/run.py [--duration 8] [--concurrency 1,8,32] [--only client_credentials_rs256,...]
                        [--runs 3]

PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, SQLite under bench/var otherwise.
Prints a table and writes bench/results/<timestamp>-<database>.json. See docs/performance.md.
"""

import argparse
import base64
import contextlib
import functools
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = BENCH / "var"
RESULTS = BENCH / "results"
LUA = BENCH / "wrk"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

sys.path.insert(0, str(BENCH))
import setup_realm as fixtures  # noqa: E402
import summary  # noqa: E402

RS, ES = "bench-rs256", "bench-es256"


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


SERVICE_AUTH = basic(fixtures.SERVICE_CLIENT, fixtures.SERVICE_SECRET)
WEB_AUTH = basic(fixtures.WEB_CLIENT, fixtures.WEB_SECRET)
CODE_BODY = urlencode(
    {
        "grant_type": "authorization_code",
        "redirect_uri": fixtures.REDIRECT_URI,
        "code_verifier": fixtures.VERIFIER,
    }
)


def oidc(realm: str, name: str) -> str:
    return f"/realms/{realm}/protocol/openid-connect/{name}"


# --- the server -------------------------------------------------------------------------------
class Server:
    app = "authserver.wsgi"
    ready_path = f"/realms/{RS}/.well-known/openid-configuration"

    def __init__(self, port: int):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "AUTHSERVER_URL": self.base,
            "AUTHSERVER_BIND": f"127.0.0.1:{port}",
            "AUTHSERVER_VAR_DIR": str(VAR),
            "AUTHSERVER_LOG_LEVEL": os.environ.get("AUTHSERVER_LOG_LEVEL", "WARNING"),
            "PYTHONPATH": str(ROOT),
            # One load generator on one address would meet the per-address limits at once; a
            # limit no run reaches keeps the limiter's own cost (a cache round trip) measured.
            "AUTHSERVER_RATE_TOKEN": os.environ.get("AUTHSERVER_RATE_TOKEN", "1000000/1000000"),
            "AUTHSERVER_RATE_LOGIN": os.environ.get("AUTHSERVER_RATE_LOGIN", "1000000/1000000"),
        }
        self.process = None
        self.started_at = None

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def script(self, *args: str) -> None:
        subprocess.run(
            [PYTHON, str(BENCH / "setup_realm.py"), *args], cwd=ROOT, env=self.env, check=True
        )

    def start(self) -> float:
        """Start gunicorn; the seconds from the spawn to the first request answered 200."""
        if _port_open(self.port):
            sys.exit(f"port {self.port} is taken; set BENCH_PORT")
        log = open(VAR / f"{self.app}.log", "ab")  # noqa: SIM115 - closed with the process
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            [GUNICORN, "-c", "deploy/gunicorn.conf.py", self.app],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        path = self.ready_path
        deadline = self.started_at + 60
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited ({self.process.returncode}); see {VAR}/{self.app}.log")
            try:
                status, _ = self.request("GET", path)
                if status == 200:
                    return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.005)
        sys.exit("gunicorn did not answer within 60 s")

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def post_form(self, path: str, form: dict, authorization: str | None = None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if authorization:
            headers["Authorization"] = authorization
        status, body = self.request("POST", path, urlencode(form), headers)
        return status, json.loads(body) if body.startswith(b"{") else body

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Peer(Server):
    """node ``oidc-provider`` 9 (bench/peer/provider.mjs), one process with its store in memory,
    installed from npm under a temporary folder for the run and removed after it."""

    app = "oidc-provider"
    ready_path = "/.well-known/openid-configuration"
    version = os.environ.get("BENCH_PEER_VERSION", "9")

    def __init__(self, port: int):
        super().__init__(port)
        self.folder = Path(tempfile.mkdtemp(prefix="bench-peer-"))
        self.installed = None
        self.env = {
            **os.environ,
            "PEER_PORT": str(port),
            "PEER_ISSUER": self.base,
            "SERVICE_CLIENT": fixtures.SERVICE_CLIENT,
            "SERVICE_SECRET": fixtures.SERVICE_SECRET,
            "WEB_CLIENT": fixtures.WEB_CLIENT,
            "WEB_SECRET": fixtures.WEB_SECRET,
            "REDIRECT_URI": fixtures.REDIRECT_URI,
            "CODE_CHALLENGE": fixtures.s256(fixtures.VERIFIER),
            "CODE_SCOPE": fixtures.CODE_SCOPE,
        }

    @staticmethod
    def unavailable() -> str | None:
        missing = [tool for tool in ("node", "npm") if not shutil.which(tool)]
        return f"{' and '.join(missing)} not installed" if missing else None

    def start(self) -> float:
        install = ["npm", "install", "--no-audit", "--no-fund", f"oidc-provider@{self.version}"]
        subprocess.run(install, cwd=self.folder, check=True, capture_output=True)
        package = self.folder / "node_modules" / "oidc-provider" / "package.json"
        self.installed = json.loads(package.read_text())["version"]
        shutil.copy(BENCH / "peer" / "provider.mjs", self.folder)
        if _port_open(self.port):
            sys.exit(f"port {self.port} is taken; set BENCH_PEER_PORT")
        log = open(VAR / "peer.log", "ab")  # noqa: SIM115 - closed with the process
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            ["node", "provider.mjs"],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while time.perf_counter() < self.started_at + 30:
            if self.process.poll() is not None:
                sys.exit(f"oidc-provider exited ({self.process.returncode}); see {VAR}/peer.log")
            try:
                if self.request("GET", self.ready_path)[0] == 200:
                    return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.05)
        sys.exit("oidc-provider did not answer within 30 s")

    def codes(self, count: int, out: Path) -> None:
        """``count`` codes of the peer's bench-web, written to ``out`` by the peer itself."""
        query = urlencode({"count": count, "path": str(out)})
        status, body = self.request("GET", f"/bench/codes?{query}")
        if status != 200:
            sys.exit(f"the peer minted no codes: {status} {body!r}")

    def workers(self) -> list[int]:
        return [self.process.pid]  # one process: its own CPU time

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class OrdersService(Server):
    """The sample resource server's order service, trusting the bench realm (SQLite of its own
    under bench/var/orders)."""

    app = "resource_server.orders.wsgi"
    ready_path = "/api/public/health"

    def __init__(self, port: int, issuer: str):
        super().__init__(port)
        self.env |= {
            "DJANGO_SETTINGS_MODULE": "resource_server.orders.settings",
            # deploy/gunicorn.conf.py binds the sample services to RS_BIND.
            "RS_BIND": f"127.0.0.1:{port}",
            "RS_ISSUER": issuer,
            "RS_CLIENT_ID": fixtures.SERVICE_CLIENT,
            "RS_CLIENT_SECRET": fixtures.SERVICE_SECRET,
            # GET /api/orders never calls the payment service; the setting must only be there.
            "PAYMENTS_URL": "http://127.0.0.1:9/",
            "RS_VAR_DIR": str(VAR / "orders"),
            "RS_RATE_REPLENISH": "1000000",
            "RS_RATE_BURST": "1000000",
            "RS_LOG_LEVEL": "WARNING",
        }
        self.env.pop("RS_DATABASE_URL", None)

    def migrate(self) -> None:
        subprocess.run(
            [PYTHON, "-m", "django", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )


def orders_available() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("resource_server.orders.wsgi") is not None
    except ImportError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces; everything after its ")" is space-separated.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu_seconds(server: "Server") -> float:
    """CPU time of gunicorn's workers so far: the live ones, and those already recycled
    (max_requests), which the master has reaped into its children's time."""
    master = _stat(server.process.pid)
    total = int(master[13]) + int(master[14])  # cutime, cstime
    for pid in server.workers():
        try:
            fields = _stat(pid)
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def database_cpu(database: str) -> dict[int, int]:
    """CPU ticks of each PostgreSQL backend serving ``database``, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            if not command.startswith(b"postgres: ") or f" {database} ".encode() not in command:
                continue
            fields = _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found[int(entry.name)] = int(fields[11]) + int(fields[12])
    return found


class DatabaseCpu:
    """The CPU the backends of ``database`` spend within a ``with`` block, in seconds.

    Backends come and go: Django closes a connection a minute old (``CONN_MAX_AGE``) and the
    worker opens another, so a run of the suite replaces every worker's backend at the same
    point, often inside one scenario. A new backend counts whole; one that exits counts what it
    had spent at its last sample, taken every ``SAMPLE_SECONDS`` (read only before and after,
    the whole of its share was lost: a code exchange once measured 0.1 ms of the database's
    CPU instead of 0.6)."""

    SAMPLE_SECONDS = 0.2

    def __init__(self, database: str):
        self.database = database
        self.before: dict[int, int] = {}
        self.latest: dict[int, int] = {}
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample_until_done, daemon=True)

    def __enter__(self):
        self.before = database_cpu(self.database)
        self.latest = dict(self.before)
        self._sampler.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._sampler.join()
        self._sample()

    def _sample_until_done(self) -> None:
        while not self._done.wait(self.SAMPLE_SECONDS):
            self._sample()

    def _sample(self) -> None:
        self.latest.update(database_cpu(self.database))

    def seconds(self) -> float:
        spent = sum(ticks - self.before.get(pid, 0) for pid, ticks in self.latest.items())
        return spent / _TICKS


def memory_mb(pid: int) -> dict[str, float]:
    """A worker's resident memory, and the part of it no other process shares (what the worker
    adds; the rest it shares with the master it was forked from, and with its siblings)."""
    kb = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        kb[name] = int(value.split()[0])
    unique = kb["Private_Clean"] + kb["Private_Dirty"]
    return {"rss": round(kb["Rss"] / 1024, 1), "unique": round(unique / 1024, 1)}


# --- the load generator -----------------------------------------------------------------------
def wrk(server: Server, path: str, *, script: str, concurrency: int, duration: int, **env):
    threads = min(concurrency, os.cpu_count() or 1, 2)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        server.base + path,
    ]
    run_env = {
        **os.environ,
        "BENCH_LUA_DIR": str(LUA),
        "BENCH_THREADS": str(threads),
        **{f"BENCH_{name.upper()}": str(value) for name, value in env.items()},
    }
    finished = subprocess.run(command, env=run_env, capture_output=True, text=True, check=True)
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line.removeprefix("BENCH_JSON "))
            result["errors"] = sum(result["errors"].values())
            return result
    raise RuntimeError(f"wrk said nothing useful:\n{finished.stdout}\n{finished.stderr}")


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing; installing Debian's package", file=sys.stderr)
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        subprocess.run(install, capture_output=True)
    if not shutil.which("wrk"):
        sys.exit("FATAL: wrk could not be installed (apt-get install wrk)")


# --- fixtures minted through the running server -------------------------------------------------
def exchange_codes(server: Server, codes: list[str], path: str = oidc(RS, "token")) -> list[dict]:
    """Spend codes at the token endpoint, as a client would: their access and refresh tokens."""
    issued = []
    for code in codes:
        status, body = server.post_form(
            path,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": fixtures.REDIRECT_URI,
                "code_verifier": fixtures.VERIFIER,
            },
            WEB_AUTH,
        )
        if status != 200:
            sys.exit(f"code exchange failed while preparing: {status} {body!r}")
        issued.append(body)
    return issued


def login_form(server: Server) -> tuple[str, str]:
    """A CSRF cookie and the form body of a correct login (each POST gets a 302)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", f"/realms/{RS}/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = next(
        value.split(";", 1)[0]
        for name, value in response.getheaders()
        if name.lower() == "set-cookie" and value.startswith("csrftoken=")
    )
    marker = 'name="csrfmiddlewaretoken" value="'
    token = page.split(marker, 1)[1].split('"', 1)[0]
    body = urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": fixtures.USERNAME,
            "password": fixtures.PASSWORD,
        }
    )
    status, _ = server.request(
        "POST",
        f"/realms/{RS}/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    if status != 302:
        sys.exit(f"the bench user's login does not succeed ({status})")
    return cookie, body


# --- in-process validation ------------------------------------------------------------------------
def validations_per_second(server: Server, token: str, seconds: float = 3.0) -> dict:
    """Access-token validations per second of CPU in this one process (one core), as a resource
    server does them: the sample resource server's validator when it is there (signature
    against the issuer's JWKS, fetched once, then typ, iss, aud, exp and the principal),
    else jwcrypto with iss and exp."""
    issuer = f"{server.base}/realms/{RS}"
    try:
        from resource_server.auth import BearerValidator, Issuer

        validator = BearerValidator(Issuer(issuer), audience="orders")
        validate = functools.partial(validator.validate, token)
        note = "resource_server.auth.BearerValidator, audience orders"
    except ImportError:
        from jwcrypto import jwk, jwt

        _, jwks_body = server.request("GET", oidc(RS, "certs"))
        keys = jwk.JWKSet.from_json(jwks_body.decode())
        validate = functools.partial(
            jwt.JWT,
            jwt=token,
            key=keys,
            algs=["RS256"],
            check_claims={"iss": issuer, "exp": None},
            expected_type="JWS",
        )
        note = "jwcrypto verification of our access token (resource_server is not present)"
    validate()  # discovery and JWKS, once
    count, started = 0, time.process_time()
    while (elapsed := time.process_time() - started) < seconds:
        for _ in range(100):
            validate()
        count += 100
    return {"per_second": count / elapsed, "microseconds_each": elapsed / count * 1e6, "note": note}


def orders_api(server: Server, options, levels: list[int]) -> tuple[list[dict], str | None]:
    """GET /api/orders of the sample order service with a valid token: rows, or why not."""
    if not orders_available():
        return [], "resource_server.orders.wsgi does not exist"
    orders = OrdersService(options.port + 1, f"{server.base}/realms/{RS}")
    orders.migrate()
    orders.start()
    try:
        status, body = server.post_form(
            oidc(RS, "token"), {"grant_type": "client_credentials"}, SERVICE_AUTH
        )
        token = body["access_token"]
        status, answer = orders.request(
            "GET", "/api/orders", headers={"Authorization": f"Bearer {token}"}
        )
        if status != 200:
            return [], f"GET /api/orders answered {status}: {answer[:200]!r}"
        rows = []
        for level in levels:
            cpu = server_cpu_seconds(orders)
            measured = wrk(
                orders,
                "/api/orders",
                script="fixed.lua",
                concurrency=level,
                duration=options.duration,
                authorization=f"Bearer {token}",
            )
            requests = max(measured["requests"], 1)
            measured["server_cpu_ms"] = round(
                (server_cpu_seconds(orders) - cpu) * 1000 / requests, 3
            )
            measured["database_cpu_ms"] = 0.0
            rows.append({"name": "orders_api", "concurrency": level, **measured})
            print_row(rows[-1])
        return rows, None
    finally:
        orders.stop()


# --- the run ------------------------------------------------------------------------------------
def scenarios(prepared: dict) -> list[dict]:
    """Each: name, path, wrk script, environment for the script, and values to spend per level."""
    return [
        {
            "name": "client_credentials_rs256",
            "path": oidc(RS, "token"),
            "peer": True,
            "script": "fixed.lua",
            "env": {
                "method": "POST",
                "body": "grant_type=client_credentials",
                "authorization": SERVICE_AUTH,
            },
        },
        {
            "name": "client_credentials_es256",
            "path": oidc(ES, "token"),
            "script": "fixed.lua",
            "env": {
                "method": "POST",
                "body": "grant_type=client_credentials",
                "authorization": SERVICE_AUTH,
            },
        },
        {
            "name": "refresh_token",
            "path": oidc(RS, "token"),
            "script": "chain.lua",
            "env": {"body": "grant_type=refresh_token&refresh_token={}", "authorization": WEB_AUTH},
            "values": "refresh",
            "peer": True,
        },
        {
            # Every chain on one SSO session: what a user's many clients do to that session.
            "name": "refresh_token_one_session",
            "path": oidc(RS, "token"),
            "script": "chain.lua",
            "env": {"body": "grant_type=refresh_token&refresh_token={}", "authorization": WEB_AUTH},
            "values": "refresh_one_session",
        },
        {
            "name": "authorization_code",
            "path": oidc(RS, "token"),
            "script": "codes.lua",
            "env": {"body": CODE_BODY + "&code={}", "authorization": WEB_AUTH},
            "values": "codes",
            "peer": True,
        },
        {
            "name": "introspection",
            "path": oidc(RS, "token/introspect"),
            "script": "fixed.lua",
            "env": {
                "method": "POST",
                "body": urlencode({"token": prepared["access_token"]}),
                "authorization": SERVICE_AUTH,
            },
        },
        {
            "name": "userinfo",
            "path": oidc(RS, "userinfo"),
            "script": "fixed.lua",
            "env": {"authorization": "Bearer " + prepared["access_token"]},
        },
        {
            "name": "discovery",
            "path": f"/realms/{RS}/.well-known/openid-configuration",
            "script": "fixed.lua",
            "env": {},
        },
        {"name": "jwks", "path": oidc(RS, "certs"), "script": "fixed.lua", "env": {}},
        # The floor: Django's smallest view (a constant JSON body) under the same gunicorn.
        {"name": "healthz", "path": "/healthz", "script": "fixed.lua", "env": {}},
        {
            "name": "login_form_post",
            "path": f"/realms/{RS}/login",
            "script": "fixed.lua",
            "env": {"method": "POST", "body": prepared["login_body"], "cookie": prepared["cookie"]},
        },
    ]


def _chain_file(chains: dict, name: str, level: int) -> Path:
    """The first refresh tokens of a level's chains, taken from ``chains[name]``: two chains per
    connection, so that a chain broken by an error does not starve it."""
    pool = chains[name]
    spent, chains[name] = pool[: 2 * level], pool[2 * level :]
    values = VAR / f"{name}-c{level}.txt"
    values.write_text("\n".join(spent) + "\n")
    return values


def measure(target: Server, db: str | None, name: str, scenario: dict, level, options, env):
    """One wrk run against ``target``, with the CPU its processes (and PostgreSQL's backends
    of ``db``) spent per request."""
    server_cpu = server_cpu_seconds(target)
    with DatabaseCpu(db) if db else contextlib.nullcontext() as database:
        measured = wrk(
            target,
            scenario["path"],
            script=scenario["script"],
            concurrency=level,
            duration=options.duration,
            **env,
        )
    # CPU per request holds still when other work shares the machine; req/s do not.
    requests = max(measured["requests"], 1)
    measured["server_cpu_ms"] = round(
        (server_cpu_seconds(target) - server_cpu) * 1000 / requests, 3
    )
    spent = database.seconds() if database is not None else 0.0
    measured["database_cpu_ms"] = round(spent * 1000 / requests, 3)
    return {"name": name, "concurrency": level, **measured}


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory_kb / 1024**2, 1)}


# The PostgreSQL settings that move the database's figures: without autovacuum, tables are
# never analysed (the planner has no statistics) nor vacuumed (rotated rows stay dead).
DATABASE_SETTINGS = ("server_version", "autovacuum", "shared_buffers", "synchronous_commit")


def database_settings() -> dict:
    """``DATABASE_SETTINGS`` as the server of ``DATABASE_URL`` reports them; {} on SQLite, or
    when the server cannot be asked (the migration that follows says why)."""
    url = os.environ.get("DATABASE_URL", "").split("?", 1)[0]
    if not url:
        return {}
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            rows = connection.execute(
                "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)",
                [list(DATABASE_SETTINGS)],
            ).fetchall()
    except psycopg.Error:
        return {}
    return {name: f"{setting} x {unit}" if unit else setting for name, setting, unit in rows}


def print_header() -> None:
    header = (
        f"{'scenario':<34}{'c':>4}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'cpu ms/req':>12}{'db cpu ms':>11}"
    )
    print(header)
    print("-" * len(header))


def print_row(row: dict) -> None:
    ratio = (
        f"  ours/peer: req/s {row['ratio']:.2f}, CPU per request {row['cpu_ratio']:.2f}"
        if "ratio" in row
        else ""
    )
    print(
        f"{row['name']:<34}{row['concurrency']:>4}{row['rps']:>10.0f}"
        f"{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['errors']:>8}"
        f"{row['server_cpu_ms']:>12.2f}{row['database_cpu_ms']:>11.2f}{ratio}",
        flush=True,
    )


def print_table(results: list[dict]) -> None:
    print_header()
    for row in results:
        print_row(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 8)))
    parser.add_argument("--concurrency", default=os.environ.get("BENCH_CONCURRENCY", "1,8,32"))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8100)))
    parser.add_argument("--label", default=os.environ.get("BENCH_LABEL", ""))
    parser.add_argument(
        "--peer",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("BENCH_PEER", "1") != "0",
        help="also drive node oidc-provider (installed from npm under a temporary folder)",
    )
    parser.add_argument(
        "--peer-port", type=int, default=int(os.environ.get("BENCH_PEER_PORT", 8190))
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=int(os.environ.get("BENCH_RUNS", 1)),
        help="run the suite this many times in a row, then print the medians (bench/summary.py)",
    )
    options = parser.parse_args()
    if options.runs < 2:
        run(options, options.label)
        return
    reports = []
    for number in range(1, options.runs + 1):
        print(f"\nrun {number} of {options.runs}", flush=True)
        reports.append(run(options, "-".join(filter(None, [options.label, f"run{number}"]))))
    summary.print_summary(summary.summarize(reports))


def run(options, label: str) -> dict:
    """The whole suite once: printed, written to bench/results, and returned."""
    levels = [int(level) for level in options.concurrency.split(",")]
    only = {name for name in options.only.split(",") if name}

    ensure_wrk()
    VAR.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    server = Server(options.port)
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    db = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].split("?")[0] or "-"
    load_before = os.getloadavg()[0]
    settings = database_settings()
    described = ", ".join(f"{name} {value}" for name, value in settings.items())
    print(
        f"database: {database}{f' ({described})' if described else ''}; "
        f"cache: {'redis' if os.environ.get('REDIS_URL') else 'local'}"
    )
    server.manage("migrate", "--no-input", "-v", "0")
    server.manage("collectstatic", "--no-input", "-v", "0")
    server.script("realms")
    # Enough codes for the fastest plausible exchange rate at every level, and some to prepare.
    code_budget = 1500 * options.duration
    code_files = {}
    for level in levels:
        code_files[level] = VAR / f"codes-c{level}.txt"
        server.script("codes", str(code_budget), str(code_files[level]))
    # The refresh chains: each of its own SSO session, and as many again sharing one.
    chains = 2 * sum(levels)
    server.script("codes", str(chains + 10), str(VAR / "codes-prepare.txt"), "each")
    server.script("codes", str(chains), str(VAR / "codes-one-session.txt"))

    first_request = server.start()
    peer = None
    skipped = {}
    try:
        prepare_codes = (VAR / "codes-prepare.txt").read_text().split()
        issued = exchange_codes(server, prepare_codes)
        cookie, login_body = login_form(server)
        prepared = {
            "access_token": issued[0]["access_token"],
            "cookie": cookie,
            "login_body": login_body,
        }
        chains = {
            "refresh": [grant["refresh_token"] for grant in issued[1:]],
            "refresh_one_session": [
                grant["refresh_token"]
                for grant in exchange_codes(
                    server, (VAR / "codes-one-session.txt").read_text().split()
                )
            ],
        }
        selected = [
            scenario for scenario in scenarios(prepared) if not only or scenario["name"] in only
        ]
        peer_chains, peer_codes = [], {}
        if options.peer and any(scenario.get("peer") for scenario in selected):
            skipped_peer = Peer.unavailable()
            if skipped_peer:
                skipped["oidc-provider"] = skipped_peer
            else:
                peer = Peer(options.peer_port)
                peer.start()
                peer.codes(2 * sum(levels), VAR / "peer-codes-prepare.txt")
                peer_chains = [
                    grant["refresh_token"]
                    for grant in exchange_codes(
                        peer, (VAR / "peer-codes-prepare.txt").read_text().split(), "/token"
                    )
                ]
                for level in levels:
                    peer_codes[level] = VAR / f"peer-codes-c{level}.txt"
                    # It exchanges them three times as fast: run out, it answered errors that
                    # counted in its requests per second.
                    peer.codes(3 * code_budget, peer_codes[level])
        results = []
        print_header()
        for scenario in selected:
            for level in levels:
                env = dict(scenario["env"])
                if scenario.get("values") == "codes":
                    env["values"] = code_files[level]
                elif scenario.get("values") in chains:
                    env["values"] = _chain_file(chains, scenario["values"], level)
                row = measure(server, db, scenario["name"], scenario, level, options, env)
                results.append(row)
                print_row(row)
                if peer is None or not scenario.get("peer"):
                    continue
                # Right after ours, so that both meet the same weather on a shared machine.
                if scenario.get("values") == "codes":
                    env["values"] = peer_codes[level]
                elif scenario.get("values") in chains:
                    env["values"] = _chain_file({"peer": peer_chains}, "peer", level)
                    peer_chains = peer_chains[2 * level :]
                peer_row = measure(
                    peer,
                    None,
                    f"peer:{scenario['name']}",
                    {**scenario, "path": "/token"},
                    level,
                    options,
                    env,
                )
                peer_row["ratio"] = round(row["rps"] / max(peer_row["rps"], 1), 3)
                ours = row["server_cpu_ms"] + row["database_cpu_ms"]
                peer_row["cpu_ratio"] = round(peer_row["server_cpu_ms"] / max(ours, 0.001), 3)
                results.append(peer_row)
                print_row(peer_row)
        if not only or "orders_api" in only:
            rows, why_not = orders_api(server, options, levels)
            results += rows
            if why_not:
                skipped["orders_api"] = why_not
        _, service = server.post_form(
            oidc(RS, "token"), {"grant_type": "client_credentials"}, SERVICE_AUTH
        )
        validation = validations_per_second(server, service["access_token"])
        workers = {pid: memory_mb(pid) for pid in server.workers()}
    finally:
        server.stop()
        if peer is not None:
            peer.stop()

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": label,
        "database": database,
        "database_settings": settings,
        "cache": "redis" if os.environ.get("REDIS_URL") else "local",
        "machine": machine(),
        "gunicorn_workers": len(workers),
        "duration_seconds": options.duration,
        "results": results,
        "peer": f"oidc-provider {peer.installed}" if peer is not None else None,
        "skipped": skipped,
        "validations": validation,
        "first_request_seconds": round(first_request, 3),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "worker_rss_mb": {pid: memory["rss"] for pid, memory in workers.items()},
        "worker_unique_mb": {pid: memory["unique"] for pid, memory in workers.items()},
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{label}" if label else ""
    path = RESULTS / f"{stamp}-{database}{suffix}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print_table(results)
    for name, note in skipped.items():
        print(f"{name}: skipped ({note})")
    print(
        f"in-process validations: {validation['per_second']:.0f}/s on one core "
        f"({validation['microseconds_each']:.0f} us each; {validation['note']})"
    )
    print(f"first request served {first_request:.2f} s after gunicorn was started")
    rss = ", ".join(f"{memory['rss']:.0f}" for memory in workers.values())
    unique = ", ".join(f"{memory['unique']:.0f}" for memory in workers.values())
    print(f"resident memory per worker after the run (MB): {rss}; of it its own: {unique}")
    print(f"written to {path.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main()
