"""A seeded random fuzz of every public endpoint, through the deployed WSGI application (both
stacks of wsgi_dispatch): hostile values in the path, query, form, headers and cookies. None
may answer 5xx. The seed is fixed, so a failure names a request that can be replayed."""

import base64
import json
import random
from urllib.parse import urlencode

import pytest

from tests.factories import make_client, make_realm, make_user
from tests.protocol.helpers import (
    REDIRECT_URI,
    SECRET,
    basic,
    make_machine_client,
    make_web_client,
    tokens_for,
)
from tests.wsgi import send

pytestmark = pytest.mark.django_db

SEED = 20261206
REQUESTS = 400

REALM = "/realms/acme"
OIDC = f"{REALM}/protocol/openid-connect"
# Each endpoint with the parameters it reads: the fuzz fills these (and a few others) in.
ENDPOINTS = {
    f"{OIDC}/auth": [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "nonce",
        "prompt",
        "max_age",
        "code_challenge",
        "code_challenge_method",
        "response_mode",
        "claims",
        "id_token_hint",
        "login_hint",
        "ui_locales",
        "acr_values",
        "request",
        "consent",
    ],
    f"{OIDC}/token": [
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "scope",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
        "subject_token",
        "subject_token_type",
        "requested_token_type",
        "audience",
    ],
    f"{OIDC}/userinfo": ["access_token"],
    f"{OIDC}/token/introspect": ["token", "token_type_hint", "client_id", "client_secret"],
    f"{OIDC}/revoke": ["token", "token_type_hint", "client_id", "client_secret"],
    f"{OIDC}/logout": [
        "id_token_hint",
        "client_id",
        "post_logout_redirect_uri",
        "state",
        "ui_locales",
        "confirm",
    ],
    f"{OIDC}/certs": [],
    f"{REALM}/.well-known/openid-configuration": [],
    "/.well-known/oauth-authorization-server/realms/acme": [],
    REALM: [],
    f"{REALM}/login": ["username", "password", "next", "otp_token", "csrfmiddlewaretoken"],
    f"{REALM}/login/update-password": ["password1", "password2", "next"],
    f"{REALM}/account": ["action", "next"],
    f"{REALM}/logout": ["next"],
    f"{REALM}/account/consents": ["client_id", "action"],
    "/admin/login/": ["username", "password", "next", "csrfmiddlewaretoken"],
}


def _nested_jwt(depth: int) -> str:
    part = base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{part}.c2ln"


def _jwt_with(claims: dict) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.{payload}.c2ln"


HOSTILE = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff\ud800",
    "\r\nSet-Cookie: x=y",
    "9" * 400,
    "-1",
    "1e999",
    "NaN",
    "²",
    "0x10",
    "x" * 10_000,
    "é" * 3000,
    "%zz",
    "%ff%fe",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "[" * 3000 + "]" * 3000,
    '{"userinfo": ' * 2000 + "1" + "}" * 2000,
    "a.b.c",
    _nested_jwt(3000),
    _jwt_with({"iss": "\x00", "sub": "\ud800", "aud": ["\x00"], "exp": 10**30}),
    _jwt_with({"iss": "http://testserver/realms/acme", "azp": "app\x00", "sid": "\x00"}),
    "openid profile email offline_access",
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    "code",
    "S256",
    "form_post",
    "none",
    "app",
    "machine",
    REDIRECT_URI,
    "javascript:alert(1)",
    "https://evil.example/",
]
CONTENT_TYPES = [
    None,
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=b",
    "application/json",
    "text/plain",
]
METHODS = ["GET", "GET", "POST", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]


@pytest.fixture
def world(client):
    """A realm with a web app, a public client, a machine client and a user with tokens; the
    fuzz mixes real values in with hostile ones so that it gets past the first checks."""
    realm = make_realm("acme", default_signature_algorithm="ES256")
    make_web_client(realm)
    make_client(realm, "spa", client_type="public", redirect_uris=REDIRECT_URI)
    make_machine_client(realm)
    user = make_user(realm, "alice")
    tokens = tokens_for(client, realm, user, scope="openid")
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    return {"tokens": list(tokens.values()), "cookies": cookies}


def _value(rng: random.Random, world: dict) -> str:
    if rng.random() < 0.2:
        return rng.choice([value for value in world["tokens"] if isinstance(value, str)])
    return rng.choice(HOSTILE)


def _encode(params: list[tuple[str, str]], rng: random.Random) -> str:
    if rng.random() < 0.15:
        # Raw bytes a client might send: broken escapes, bytes that are no UTF-8.
        return "&".join(
            f"{name}={rng.choice(['%00', '%ED%A0%80', '%zz', '%FF', '%C0%AF'])}"
            for name, _ in params
        )
    return urlencode([(name, value.encode("utf-8", "surrogatepass")) for name, value in params])


def _request(rng: random.Random, world: dict) -> dict:
    path = rng.choice(list(ENDPOINTS))
    names = ENDPOINTS[path]
    if rng.random() < 0.1:
        path = path.replace("acme", rng.choice(["\x00", "nowhere", "ACME", "a" * 300, "%00"]))
    chosen = rng.sample(names, k=min(len(names), rng.randint(0, 6))) if names else []
    chosen += rng.sample(["x", "client_id[]", "scope", "a" * 100], k=rng.randint(0, 2))
    if chosen and rng.random() < 0.3:
        chosen.append(rng.choice(chosen))  # a duplicate parameter
    params = [(name, _value(rng, world)) for name in chosen]
    method = rng.choice(METHODS)
    headers = {}
    roll = rng.random()
    if roll < 0.2:
        headers["Authorization"] = basic(rng.choice(["machine", "app", "\x00", "é"]), SECRET)
    elif roll < 0.35:
        headers["Authorization"] = "Bearer " + _value(rng, world)[:20_000]
    elif roll < 0.45:
        headers["Authorization"] = rng.choice(["Basic", "Basic !!!", "Bearer", "Bearer a b"])
    if rng.random() < 0.3:
        headers["Cookie"] = rng.choice(
            [world["cookies"], "csrftoken=" + "a" * 32, 'sessionid="\\000x"', "x=\x00"]
        )
    if rng.random() < 0.1:
        headers["Origin"] = rng.choice(["https://evil.example", "null", "\x00"])
    query = _encode(params, rng) if method != "POST" or rng.random() < 0.2 else ""
    body = b""
    content_type = None
    if method in ("POST", "PUT"):
        content_type = rng.choice(CONTENT_TYPES)
        text = _encode(params, rng)
        if content_type and "json" in content_type:
            body = json.dumps(dict(params)).encode()
        elif content_type and "utf-16" in content_type:
            body = text.encode("utf-16")
        else:
            body = text.encode()
    return {
        "path": path,
        "method": method,
        "query": query,
        "body": body,
        "content_type": content_type,
        "headers": headers,
    }


def test_it_never_answers_a_server_error_to_hostile_requests(world):
    rng = random.Random(SEED)
    failures = []
    for number in range(REQUESTS):
        request = _request(rng, world)
        try:
            answer = send(**request)
        except Exception as error:  # escaping the application: the server's own 500
            failures.append((number, 500, request, repr(error)))
            continue
        if answer.status >= 500:
            failures.append((number, answer.status, request, answer.body[:200]))
    assert not failures, "\n".join(repr(failure)[:1500] for failure in failures)


def test_it_reaches_past_the_first_checks(world):
    """The fuzz is worth something only if some requests succeed: a sanity check of the mix."""
    rng = random.Random(SEED)
    statuses = [send(**_request(rng, world)).status for _ in range(REQUESTS // 4)]
    assert {200, 302, 400, 401} <= set(statuses)
