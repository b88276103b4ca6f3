"""Input no endpoint can read is a 400 (or 404), never a 500, on both stacks of
wsgi_dispatch: JSON in the RFCs' shape on the machine-facing endpoints, a small page elsewhere.
"""

import base64
from urllib.parse import urlencode

import pytest

from tests.factories import make_realm
from tests.protocol.helpers import SECRET, basic, make_machine_client
from tests.wsgi import send

pytestmark = pytest.mark.django_db

CSRF_COOKIE = {"Cookie": "csrftoken=" + "a" * 32}
FORM = "application/x-www-form-urlencoded"

JSON_POSTS = [
    "/realms/acme/protocol/openid-connect/token",
    "/realms/acme/protocol/openid-connect/token/introspect",
    "/realms/acme/protocol/openid-connect/revoke",
    "/realms/acme/protocol/openid-connect/userinfo",
    "/realms/nowhere/protocol/openid-connect/token",
]
PAGE_POSTS = [
    "/realms/acme/protocol/openid-connect/auth",
    "/realms/acme/protocol/openid-connect/logout",
    "/realms/acme/login",
    "/realms/acme/login/update-password",
    "/realms/acme/account",
    "/realms/acme/logout",
    "/realms/acme/account/consents",
    "/realms/nowhere/login",
    "/admin/login/",
    "/admin/logout/",
]


@pytest.fixture
def realm(db):
    realm = make_realm("acme", default_signature_algorithm="ES256")
    make_machine_client(realm)
    return realm


# May be refused before the body is read: no bearer token, no such realm.
REFUSED_FIRST = {
    "/realms/acme/protocol/openid-connect/userinfo": {400, 401},
    "/realms/nowhere/protocol/openid-connect/token": {404},
}


def assert_refused(answer, path: str):
    assert answer.status in REFUSED_FIRST.get(path, {400}), (path, answer.status, answer.body)
    status = answer.status
    assert "no-store" in answer.header("Cache-Control")
    if "/protocol/openid-connect/" in path and not path.endswith(("/auth", "/logout")):
        if status != 401:
            assert answer.header("Content-Type") == "application/json"
            assert answer.json()["error"] == ("invalid_request" if status == 400 else "not_found")
    else:
        assert answer.header("Content-Type").startswith("text/html")


def test_it_refuses_a_nul_in_a_realm_path_segment(realm):
    for path in (
        "/realms/\x00",
        "/realms/\x00/protocol/openid-connect/certs",
        "/realms/\x00/protocol/openid-connect/token",
        "/realms/\x00/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/realms/\x00",
    ):
        answer = send(path)
        assert answer.status == 400, (path, answer.body[:300])
        assert answer.json()["error"] == "invalid_request"
    for path in ("/realms/\x00/protocol/openid-connect/auth", "/realms/\x00/login"):
        assert_refused(send(path), path)


def test_it_refuses_a_nul_in_a_query_or_form_parameter(realm):
    logout = "/realms/acme/protocol/openid-connect/logout"
    assert_refused(send(logout, query="client_id=%00"), logout)
    assert_refused(
        send(logout, method="POST", body=b"client_id=%00", content_type=FORM, headers=CSRF_COOKIE),
        logout,
    )
    authorize = "/realms/acme/protocol/openid-connect/auth"
    assert_refused(send(authorize, query="client_id=%00&response_type=code"), authorize)
    token = "/realms/acme/protocol/openid-connect/token"
    answer = send(
        token,
        method="POST",
        body=b"grant_type=client_credentials&scope=a%00b",
        content_type=FORM,
        headers={"Authorization": basic("machine", SECRET)},
    )
    assert answer.status == 400
    assert answer.json()["error"] == "invalid_scope"


def test_it_finds_no_client_named_by_a_lone_surrogate_in_an_assertion(realm):
    claims = base64.urlsafe_b64encode(b'{"sub": "\\ud800", "iss": "\\ud800"}').rstrip(b"=")
    assertion = f"eyJhbGciOiJSUzI1NiJ9.{claims.decode()}.c2ln"
    body = urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }
    )
    answer = send(
        "/realms/acme/protocol/openid-connect/token",
        method="POST",
        body=body.encode(),
        content_type=FORM,
    )
    assert answer.status == 401
    assert answer.json()["error"] == "invalid_client"


@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "shift_jis"])
def test_it_answers_400_to_a_form_in_another_charset_on_every_post_endpoint(realm, charset):
    name = "日本" if charset == "shift_jis" else "é"
    body = f"grant_type=client_credentials&token=x&username={name}".encode(charset)
    for path in JSON_POSTS + PAGE_POSTS:
        answer = send(
            path,
            method="POST",
            body=body,
            content_type=f"{FORM}; charset={charset}",
            headers={**CSRF_COOKIE, "Authorization": basic("machine", SECRET)},
        )
        assert_refused(answer, path)


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\x01",
    ],
)
def test_it_answers_400_to_a_malformed_multipart_body(realm, content_type):
    body = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--b'
    for path in JSON_POSTS + PAGE_POSTS:
        answer = send(
            path, method="POST", body=body, content_type=content_type, headers=CSRF_COOKIE
        )
        assert_refused(answer, path)


def test_it_answers_unknown_paths_without_reading_the_body(realm):
    answer = send(
        "/realms/acme/nothing-here",
        method="POST",
        body="a=é".encode("utf-16"),
        content_type=f"{FORM}; charset=utf-16",
        headers=CSRF_COOKIE,
    )
    assert answer.status in (400, 404)
    assert answer.header("Content-Type").startswith("text/html")
