"""CPU per request in one process, and where it goes: the WSGI application called directly.

    python bench/in_process.py [--requests 500] [--only refresh_token,...] [--profile 25]

Uses the database and cache of the environment (DATABASE_URL, REDIS_URL), with the bench realms
(``bench/run.py`` imports them, or ``python bench/setup_realm.py realms``). Each scenario is
warmed up, then timed with ``time.process_time`` (this process's CPU: Django, the protocol and
the database client, not the database server's own work); with ``--profile N`` it is run once
more under cProfile and its N most expensive functions (own time and cumulative) are printed.
No HTTP server, no load generator: what is left is the application's own cost, the figure to
compare between commits when the machine is shared. See docs/performance.md.
"""

import argparse
import atexit
import base64
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = BENCH / "var"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authserver.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("AUTHSERVER_URL", "http://127.0.0.1:8100")
os.environ.setdefault("AUTHSERVER_VAR_DIR", str(VAR))
os.environ.setdefault("AUTHSERVER_LOG_LEVEL", "WARNING")
os.environ.setdefault("AUTHSERVER_RATE_TOKEN", "1000000/1000000")
os.environ.setdefault("AUTHSERVER_RATE_LOGIN", "1000000/1000000")
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    _metrics = tempfile.mkdtemp(prefix="bench-metrics-")
    atexit.register(shutil.rmtree, _metrics, ignore_errors=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics

import setup_realm as fixtures  # noqa: E402

RS = "bench-rs256"


def _basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


SERVICE_AUTH = _basic(fixtures.SERVICE_CLIENT, fixtures.SERVICE_SECRET)
WEB_AUTH = _basic(fixtures.WEB_CLIENT, fixtures.WEB_SECRET)


def _path(name: str) -> str:
    return f"/realms/{RS}/protocol/openid-connect/{name}"


class App:
    def __init__(self):
        from authserver.wsgi import application

        self.application = application

    def call(self, method: str, path: str, *, body: str = "", authorization: str = "", cookie=""):
        data = body.encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8100",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8100",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if data:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(data))
        if authorization:
            environ["HTTP_AUTHORIZATION"] = authorization
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        status, headers = [], []
        chunks = self.application(
            environ, lambda line, given, *_: (status.append(line), headers.extend(given))
        )
        answer = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        self.headers = headers
        return int(status[0].split()[0]), answer


def _codes(count: int, *, session_each: bool = True) -> list[str]:
    out = VAR / "profile-codes.txt"
    fixtures.mint_codes(count, out, session_each=session_each)
    return out.read_text().split()


def _exchange(app: App, code: str) -> dict:
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": fixtures.REDIRECT_URI,
            "code_verifier": fixtures.VERIFIER,
        }
    )
    status, answer = app.call("POST", _path("token"), body=body, authorization=WEB_AUTH)
    if status != 200:
        sys.exit(f"a code exchange answered {status}: {answer[:300]!r}")
    return json.loads(answer)


def scenarios(app: App, count: int) -> dict:
    """Each scenario: a function doing one request and checking its status."""
    access_token = _exchange(app, _codes(1)[0])["access_token"]

    def client_credentials():
        return app.call(
            "POST", _path("token"), body="grant_type=client_credentials", authorization=SERVICE_AUTH
        )

    state = {"refresh": _exchange(app, _codes(1)[0])["refresh_token"]}

    def refresh_token():
        status, answer = app.call(
            "POST",
            _path("token"),
            body=urlencode({"grant_type": "refresh_token", "refresh_token": state["refresh"]}),
            authorization=WEB_AUTH,
        )
        if status == 200:
            state["refresh"] = json.loads(answer)["refresh_token"]
        return status, answer

    codes: list[str] = []

    def authorization_code():
        if not codes:
            codes.extend(_codes(count + 50))
        body = urlencode(
            {
                "grant_type": "authorization_code",
                "code": codes.pop(),
                "redirect_uri": fixtures.REDIRECT_URI,
                "code_verifier": fixtures.VERIFIER,
            }
        )
        return app.call("POST", _path("token"), body=body, authorization=WEB_AUTH)

    introspect_body = urlencode({"token": access_token})

    def introspection():
        return app.call(
            "POST", _path("token/introspect"), body=introspect_body, authorization=SERVICE_AUTH
        )

    def userinfo():
        return app.call("GET", _path("userinfo"), authorization=f"Bearer {access_token}")

    def healthz():
        return app.call("GET", "/healthz")

    login_page = f"/realms/{RS}/login"
    app.call("GET", login_page)
    csrf = next(
        value.strip().split(";", 1)[0]
        for name, value in app.headers
        if name.lower() == "set-cookie" and value.strip().startswith("csrftoken=")
    )
    page = app.call("GET", login_page, cookie=csrf)[1].decode()
    form_token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    login_body = urlencode(
        {
            "csrfmiddlewaretoken": form_token,
            "username": fixtures.USERNAME,
            "password": fixtures.PASSWORD,
        }
    )

    def login_form_post():
        # A browser with the login form's CSRF cookie and no session, as bench/run.py's.
        status, answer = app.call("POST", login_page, body=login_body, cookie=csrf)
        return (200 if status == 302 else status), answer

    return {
        "client_credentials_rs256": client_credentials,
        "refresh_token": refresh_token,
        "authorization_code": authorization_code,
        "introspection": introspection,
        "userinfo": userinfo,
        "healthz": healthz,
        "login_form_post": login_form_post,
    }


class _HashTimer:
    """The CPU time spent inside Argon2id verifications, to tell a login's hash from what
    surrounds it in the same requests (measured apart, the hash's own spread of a few ms on a
    shared machine swamped the difference)."""

    def __init__(self):
        import argon2

        self.spent = 0.0
        # Set: a verification answers as the hash would (the bench user's password is right)
        # without computing it, so that the work around it runs with the processor's caches
        # warm, not cold from the hash's 19 MiB.
        self.skipped = False
        self._verify = argon2.PasswordHasher.verify
        timer = self

        def verify(hasher, hash, password):
            if timer.skipped:
                return True
            started = time.process_time()
            try:
                return timer._verify(hasher, hash, password)
            finally:
                timer.spent += time.process_time() - started

        argon2.PasswordHasher.verify = verify


# Codes minted for a --single run: enough for the largest count bench/instructions.py asks for.
SINGLE_BUDGET = 1000


def _run(request, count: int, hashes: _HashTimer | None = None) -> tuple[float, float]:
    """CPU milliseconds per request over ``count`` requests, and of them inside ``hashes``."""
    hashed = hashes.spent if hashes else 0.0
    started = time.process_time()
    for _ in range(count):
        status, answer = request()
        if status != 200:
            sys.exit(f"answered {status}: {answer[:300]!r}")
    total = (time.process_time() - started) * 1000 / count
    return total, ((hashes.spent - hashed) * 1000 / count if hashes else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--only", default="")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--sort", default="tottime,cumulative")
    parser.add_argument(
        "--single",
        type=int,
        default=0,
        help="warm up, then make this many requests of the one --only scenario, and print"
        " nothing (bench/instructions.py counts what they execute)",
    )
    options = parser.parse_args()
    only = [name for name in options.only.split(",") if name]

    app = App()
    hashes = _HashTimer()
    if options.single:
        if len(only) != 1:
            sys.exit("--single takes one scenario in --only")
        # The same set-up whatever the count, so that two counts differ by their requests only.
        request = scenarios(app, SINGLE_BUDGET)[only[0]]
        _run(request, 50)
        _run(request, options.single)
        return
    found = scenarios(app, options.requests * 2)
    for name, request in found.items():
        if only and name not in only:
            continue
        _run(request, 50)  # warm: the per-process caches, the connections, the statements
        # A login costs a password hash (tens of ms): fewer of them.
        count = options.requests if name != "login_form_post" else max(10, options.requests // 10)
        runs = [_run(request, count, hashes) for _ in range(3)]
        per_request = min(total for total, _ in runs)
        print(f"{name:<28}{per_request:8.3f} ms CPU per request (best of 3 x {count})")
        if name == "login_form_post":
            around = min(total - hashing for total, hashing in runs)
            hashing = min(hashing for _, hashing in runs)
            print(f"{'':<28}{around:8.3f} ms of it around the hash (the hash {hashing:.2f})")
            hashes.skipped = True
            _run(request, 50)
            alone = min(_run(request, options.requests)[0] for _ in range(3))
            hashes.skipped = False
            print(f"{'':<28}{alone:8.3f} ms the same work without the hash (caches warm)")
        if options.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            _run(request, options.requests)
            profiler.disable()
            for key in options.sort.split(","):
                text = io.StringIO()
                stats = pstats.Stats(profiler, stream=text)
                stats.sort_stats(key).print_stats(options.profile)
                print(text.getvalue())


if __name__ == "__main__":
    main()
