"""The console under deploy/gunicorn.conf.py with several workers and no Redis (the ``make run``
default): every worker sees a session as the database holds it, so a logout is a logout on all
of them at once, and a client secret shown once reaches the page that shows it; an import
waiting for its confirmation, and a username's login limit, are the same on every worker."""

import contextlib
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from tests.deploy import gunicorn

# Its servers run on SQLite whatever the suite's database: one pass of `make test` is enough.
pytestmark = pytest.mark.sqlite_pass

PASSWORD = "Root-Password-1"
SHOWN_ONCE = re.compile(r"it will not be shown again: ([A-Za-z0-9]+)")
WORKERS = 3
# Enough requests that, spread at random over the workers, each worker serves several.
SPREAD = 8 * WORKERS

SETUP = f"""
import django
django.setup()
from accounts.models import User
from tests.factories import make_client, make_realm
User.objects.create_superuser("root", {PASSWORD!r})
realm = make_realm("shop")
make_client(realm, "backend", standard_flow_enabled=False, service_accounts_enabled=True)
print(realm.pk)
"""


class _Form(HTMLParser):
    """The fields a browser would post back for the admin's change form (``<model>_form``):
    inputs, checked boxes and radios, selected options, text areas."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self._inside = True
        if not self._inside or "disabled" in attrs:
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind in {"submit", "button", "file"}:
                return
            # A browser sends "on" for a checked box without a value; "" for an empty field.
            default = "on" if kind in {"checkbox", "radio"} else ""
            self.fields.append((attrs["name"], attrs.get("value", default)))
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = [attrs.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._inside = False


def _form_fields(html: str) -> list[tuple[str, str]]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


@contextlib.contextmanager
def _console(tmp_path: Path, **extra: str):
    """gunicorn with WORKERS workers on SQLite in tmp_path, REDIS_URL unset; yields the base
    URL and the shop realm's id."""
    port = gunicorn.free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "AUTHSERVER_ACCESS_LOG"}
    }
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SETTINGS_MODULE="authserver.settings",
        AUTHSERVER_VAR_DIR=str(tmp_path / "var"),
        AUTHSERVER_URL=f"http://127.0.0.1:{port}",
        AUTHSERVER_BIND=f"127.0.0.1:{port}",
        AUTHSERVER_WORKERS=str(WORKERS),
        AUTHSERVER_ACCESS_LOG="off",
        **extra,
    )
    manage = [sys.executable, "manage.py"]
    run = {"cwd": gunicorn.ROOT, "env": environment, "capture_output": True, "text": True}
    migrated = subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], **run, check=False)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    setup = subprocess.run([sys.executable, "-c", SETUP], **run, check=False)
    assert setup.returncode == 0, setup.stderr[-2000:]
    realm_id = int(setup.stdout.strip())
    with gunicorn.running("authserver.wsgi", port=port, env=environment):
        yield f"http://127.0.0.1:{port}", realm_id


def _fresh(browser: requests.Session) -> requests.Session:
    """A new connection for every request: gunicorn hands each to any of its workers."""
    browser.headers["Connection"] = "close"
    return browser


def _log_in(base: str) -> requests.Session:
    browser = _fresh(requests.Session())
    page = browser.get(f"{base}/admin/login/", timeout=20)
    answer = browser.post(
        f"{base}/admin/login/?next=/admin/",
        data={
            "username": "root",
            "password": PASSWORD,
            "csrfmiddlewaretoken": _csrf(page.text),
            "next": "/admin/",
        },
        headers={"Referer": f"{base}/admin/login/"},
        allow_redirects=False,
        timeout=20,
    )
    assert answer.status_code == 302, answer.text[-2000:]
    assert browser.cookies.get("sessionid")
    return browser


def _signed_in(base: str, sessionid: str) -> bool:
    answer = requests.get(
        f"{base}/admin/",
        cookies={"sessionid": sessionid},
        headers={"Connection": "close"},
        allow_redirects=False,
        timeout=20,
    )
    assert answer.status_code in {200, 302}
    return answer.status_code == 200


def test_it_refuses_a_logged_out_session_on_every_worker(tmp_path):
    with _console(tmp_path) as (base, _):
        browser = _log_in(base)
        sessionid = browser.cookies["sessionid"]
        # Every worker reads the session (and would keep it, had it a cache of its own).
        assert all(_signed_in(base, sessionid) for _ in range(SPREAD))
        page = browser.get(f"{base}/admin/", timeout=20)
        logout = browser.post(
            f"{base}/admin/logout/",
            data={"csrfmiddlewaretoken": _csrf(page.text)},
            headers={"Referer": f"{base}/admin/"},
            allow_redirects=False,
            timeout=20,
        )
        assert logout.status_code == 200
        replays = [_signed_in(base, sessionid) for _ in range(3 * SPREAD)]
    assert replays == [False] * len(replays)


def test_it_shows_each_new_client_secret_on_the_page_after_saving(tmp_path):
    with _console(tmp_path) as (base, realm_id):
        browser = _log_in(base)
        sessionid = browser.cookies["sessionid"]
        assert all(_signed_in(base, sessionid) for _ in range(SPREAD))
        client_url = f"{base}/admin/authserver/client/"
        shown = []
        for number in range(4):
            page = browser.get(f"{client_url}add/", timeout=20)
            answer = browser.post(
                f"{client_url}add/",
                data={
                    "csrfmiddlewaretoken": _csrf(page.text),
                    "realm": str(realm_id),
                    "client_id": f"service-{number}",
                    "kind": "service",
                    "enabled": "on",
                    "attributes": "{}",
                },
                headers={"Referer": f"{client_url}add/"},
                timeout=20,
            )
            assert answer.status_code == 200 and answer.history, answer.text[-3000:]
            shown.append(SHOWN_ONCE.search(answer.text))
        link = r'href="(/admin/authserver/client/\d+/change/)">backend<'
        (change,) = re.findall(link, answer.text)
        for _ in range(4):
            page = browser.get(f"{base}{change}", timeout=20)
            fields = [*_form_fields(page.text), ("regenerate_secret", "on"), ("_continue", "1")]
            answer = browser.post(
                f"{base}{change}",
                data=fields,
                headers={"Referer": f"{base}{change}"},
                timeout=20,
            )
            assert answer.status_code == 200 and answer.history, answer.text[-3000:]
            shown.append(SHOWN_ONCE.search(answer.text))
    assert all(shown), shown
    secrets = [match[1] for match in shown]
    assert len(set(secrets)) == len(secrets)


def test_it_confirms_a_realm_import_on_whichever_worker_the_confirmation_reaches(tmp_path):
    with _console(tmp_path) as (base, _):
        browser = _log_in(base)
        url = f"{base}/admin/accounts/realm/import/"
        imported = []
        for number in range(12):
            page = browser.get(url, timeout=20)
            document = {"realm": f"imported-{number}", "users": [{"username": "alice"}]}
            preview = browser.post(
                url,
                data={"csrfmiddlewaretoken": _csrf(page.text)},
                files={"file": ("realm.json", json.dumps(document), "application/json")},
                headers={"Referer": url},
                timeout=20,
            )
            assert preview.status_code == 200, preview.text[-2000:]
            token = re.search(r'name="confirm" value="([^"]+)"', preview.text)[1]
            done = browser.post(
                url,
                data={"csrfmiddlewaretoken": _csrf(preview.text), "confirm": token},
                headers={"Referer": url},
                timeout=20,
            )
            imported.append(f"Realm imported-{number} imported." in done.text)
    assert imported == [True] * 12


def test_it_limits_a_username_whichever_worker_each_guess_reaches(tmp_path):
    # Three guesses at once, then one every 1000 s; each from another (forwarded) address.
    with _console(tmp_path, AUTHSERVER_RATE_LOGIN="0.001/3") as (base, _):
        statuses = []
        for number in range(12):
            browser = _fresh(requests.Session())
            page = browser.get(f"{base}/admin/login/", timeout=20)
            answer = browser.post(
                f"{base}/admin/login/",
                data={
                    "username": "root",
                    "password": "wrong",
                    "csrfmiddlewaretoken": _csrf(page.text),
                },
                headers={
                    "Referer": f"{base}/admin/login/",
                    "X-Forwarded-For": f"192.0.2.{number + 1}",
                },
                timeout=20,
            )
            statuses.append(answer.status_code)
    assert statuses == [200] * 3 + [429] * 9
