"""AUTHSERVER_LOG_FORMAT=json: one JSON object per line with the request's fields, and never a
password, secret, code, token or hint, whatever the flow and however verbose the log."""

import io
import json
import logging
import re
import secrets as secrets_module
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from authserver.observability.logs import JSON_FIELDS, JsonFormatter, RequestContextFilter
from tests.adminapi.helpers import call, superuser_token, url
from tests.factories import PASSWORD, make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    authorize_params,
    authorize_url,
    basic,
    endpoint,
    exchange_code,
    login,
    make_machine_client,
    make_web_client,
    post_form,
    redirect_params,
    refresh,
)

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_PASSWORD = "Not-The-Password-31"
NEW_USER_PASSWORD = "Carol-Chosen-Password-7"
NEW_CLIENT_SECRET = secrets_module.token_urlsafe(32)
LOGIN_HINT = "hinted-person@example.org"
STATE = "state-that-is-secret-9d7"
NONCE = "nonce-that-is-secret-4c1"


@pytest.fixture
def json_log():
    """Every record of every logger, DEBUG up, as the json format writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


def test_it_writes_one_json_object_per_line_and_no_secret_of_a_whole_flow(json_log, settings):
    settings.AUTHSERVER_LOG_FORMAT = "json"
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "web", scopes=("profile",))
    make_machine_client(realm, "robot")
    browser = Client()
    secrets = [PASSWORD, WRONG_PASSWORD, SECRET, NEW_USER_PASSWORD, NEW_CLIENT_SECRET]
    secrets += [LOGIN_HINT, STATE, NONCE]

    # A failed login, then the code flow with its login.
    assert login(browser, realm, user.username, WRONG_PASSWORD).status_code == 200
    params = authorize_params("web", state=STATE, nonce=NONCE, scope="openid profile")
    response = browser.get(authorize_url(realm, **params, login_hint=LOGIN_HINT))
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert login(browser, realm, user.username, next_url=next_url).status_code == 302
    code = redirect_params(browser.get(next_url))["code"]
    secrets.append(code)
    issued = exchange_code(browser, realm, code, client_id="web").json()
    secrets += [issued["access_token"], issued["refresh_token"], issued["id_token"]]
    refreshed = refresh(browser, realm, issued["refresh_token"], client_id="web").json()
    secrets += [refreshed["access_token"], refreshed["refresh_token"], refreshed["id_token"]]
    # Introspection, UserInfo, a wrong client secret, revocation.
    introspected = post_form(
        browser,
        endpoint(realm, "token/introspect"),
        {"token": refreshed["access_token"]},
        HTTP_AUTHORIZATION=basic("robot", SECRET),
    )
    assert introspected.json()["active"] is True
    userinfo = browser.get(
        endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=f"Bearer {refreshed['access_token']}"
    )
    assert userinfo.status_code == 200
    wrong_secret = "wrong-" + SECRET
    secrets.append(wrong_secret)
    assert (
        post_form(
            browser,
            endpoint(realm, "token"),
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic("robot", wrong_secret),
        ).status_code
        == 401
    )
    # A replayed refresh token (its family is revoked), a replayed code.
    assert refresh(browser, realm, issued["refresh_token"], client_id="web").status_code == 400
    assert exchange_code(browser, realm, code, client_id="web").status_code == 400
    # RP-initiated logout with the ID token as its hint.
    logout = browser.get(
        endpoint(realm, "logout") + "?" + urlencode({"id_token_hint": refreshed["id_token"]})
    )
    assert logout.status_code < 500
    # The admin API: a user created with a password, a client with its secret.
    admin = superuser_token()
    secrets.append(admin)
    created = call(
        browser,
        "POST",
        url(realm, "users"),
        admin,
        {
            "username": "carol",
            "enabled": True,
            "credentials": [{"type": "password", "value": NEW_USER_PASSWORD}],
        },
    )
    assert created.status_code == 201, created.content
    made = call(
        browser,
        "POST",
        url(realm, "clients"),
        admin,
        {
            "clientId": "api-made",
            "secret": NEW_CLIENT_SECRET,
            "publicClient": False,
            "redirectUris": ["https://api-made.example/cb"],
        },
    )
    assert made.status_code == 201, made.content
    assert call(browser, "GET", url(realm, "users"), "not-" + admin).status_code == 401

    written = json_log.getvalue()
    assert written, "nothing was logged"
    for value in secrets:
        assert value not in written, f"a secret reached the log: {value[:12]}..."
    records = [json.loads(line) for line in written.splitlines()]
    for record in records:
        assert set(record) <= set(JSON_FIELDS), record
        assert {"time", "level", "logger", "message", "request_id"} <= set(record)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", r["time"]) for r in records)
    failure = next(r for r in records if r.get("event") == "LOGIN_ERROR")
    assert failure["realm"] == realm.name and failure["request_id"]
    success = next(r for r in records if r.get("event") == "LOGIN")
    assert success["user_id"] == str(user.subject)
    reuse = next(r for r in records if "reuse" in r["message"])
    assert reuse["client"] == "web" and reuse["realm"] == realm.name


def test_it_names_the_request_id_the_answer_carries(json_log):
    realm = make_realm()
    user = make_user(realm)

    response = login(Client(), realm, user.username, WRONG_PASSWORD)

    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    ids = {r["request_id"] for r in records if r.get("event") == "LOGIN_ERROR"}
    assert ids == {response["X-Request-ID"]}
