"""What the admin API refuses before anything is written: NUL characters and lone surrogates,
numbers beyond I-JSON's, bad paging values, role names with control characters. Each is a 400
naming the field, and the database is left as it was."""

import pytest

from accounts.models import Event, Role
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from tests.adminapi.helpers import JSON, admin_token, call, url
from tests.factories import make_role, make_user
from tests.wsgi import send

pytestmark = pytest.mark.django_db

PUBLIC_CLIENT = {"clientId": "shop", "publicClient": True, "redirectUris": ["https://x.test/cb"]}


@pytest.fixture
def admin(realm):
    return admin_token(realm, rm.REALM_ADMIN)


def nothing_written(realm, before: dict) -> bool:
    return before == snapshot(realm)


def snapshot(realm) -> dict:
    return {
        "roles": sorted(Role.objects.filter(realm=realm).values_list("name", flat=True)),
        "clients": sorted(Client.objects.filter(realm=realm).values_list("client_id", flat=True)),
        "events": Event.objects.count(),
    }


def assert_bad_field(response, field: str | None = None):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_request"
    if field is not None:
        assert field in body["fields"], body


def test_it_refuses_a_nul_in_the_path_or_query(client, realm, admin):
    bearer = {"Authorization": f"Bearer {admin}"}
    for path in ("/admin/realms/\x00/users", "/admin/realms/acme/roles/\x00"):
        answer = send(path, headers=bearer)
        assert answer.status == 400, (path, answer.body)
        assert answer.json()["error"] == "invalid_request"
    for query in ("search=%00", "username=a%00b", "first=%00"):
        answer = send("/admin/realms/acme/users", query=query, headers=bearer)
        assert answer.status == 400, (query, answer.body)
        assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "reader\u0000"},
        {"name": "reader", "description": "a\u0000b"},
        {"name": "reader", "attributes": {"a": ["\u0000"]}},
        {"name": "reader", "attributes": {"\u0000": ["a"]}},
        {"name": "\ud800"},
        {"name": "reader", "description": "\udfff tail"},
    ],
)
def test_it_refuses_unstorable_text_in_a_body(client, realm, admin, body):
    before = snapshot(realm)
    response = call(client, "POST", url(realm, "roles"), admin, body)
    assert_bad_field(response)
    assert nothing_written(realm, before)


@pytest.mark.parametrize(
    "extra",
    [
        {"attributes": {"pkce.code.challenge.method": "S256", "x": "\u0000"}},
        {"attributes": {"x": "\ud800"}},
        {
            "protocolMappers": [
                {
                    "name": "aud\u0000",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.custom.audience": "orders\u0000"},
                }
            ]
        },
        {"notBefore": 10**30},
        {"attributes": {"x": 10**23}},
    ],
)
def test_it_refuses_unstorable_values_in_a_client(client, realm, admin, extra):
    before = snapshot(realm)
    response = call(client, "POST", url(realm, "clients"), admin, PUBLIC_CLIENT | extra)
    assert_bad_field(response)
    assert nothing_written(realm, before)


def test_it_refuses_unstorable_values_in_a_client_scope_and_the_realm(client, realm, admin):
    mapper = {
        "name": "aud",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {"included.custom.audience": "orders\u0000"},
    }
    scope = {"name": "orders", "protocol": "openid-connect", "protocolMappers": [mapper]}
    assert_bad_field(call(client, "POST", url(realm, "client-scopes"), admin, scope))
    settings = {"attributes": {"frontendUrl": "\u0000"}}
    assert_bad_field(call(client, "PUT", url(realm), admin, settings))
    huge = {"accessTokenLifespan": 2**70}
    assert_bad_field(call(client, "PUT", url(realm), admin, huge))


def test_it_refuses_json_constants_that_are_no_numbers(client, realm, admin):
    for raw in ('{"name": "r", "description": NaN}', '{"name": "r", "x": Infinity}'):
        response = client.post(
            url(realm, "roles"), raw, content_type=JSON, HTTP_AUTHORIZATION=f"Bearer {admin}"
        )
        assert_bad_field(response)
    assert not Role.objects.filter(realm=realm, name="r").exists()


@pytest.mark.parametrize(
    "query", ["first=\u00b2", "first=100000000000000000000000", "max=99999999999", "first=-1"]
)
def test_it_refuses_bad_paging_values(client, realm, admin, query):
    make_user(realm, "alice")
    response = client.get(url(realm, "users") + "?" + query, HTTP_AUTHORIZATION=f"Bearer {admin}")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("name", ["a\nb", "a\rb", "a\x01b", "a\u2028b", "a\u200eb", "a/b", " "])
def test_it_refuses_a_role_name_with_control_characters_and_writes_nothing(
    client, realm, admin, name
):
    make_role(realm, "reader")
    before = snapshot(realm)
    assert_bad_field(call(client, "POST", url(realm, "roles"), admin, {"name": name}), "name")
    renamed = call(client, "PUT", url(realm, "roles", "reader"), admin, {"name": name})
    assert_bad_field(renamed, "name")
    assert nothing_written(realm, before)


def test_it_percent_encodes_a_name_in_the_location(client, realm, admin):
    response = call(client, "POST", url(realm, "roles"), admin, {"name": "orders reader?#"})
    assert response.status_code == 201, response.content
    assert response["Location"] == "/admin/realms/acme/roles/orders%20reader%3F%23"
    assert call(client, "GET", response["Location"], admin).json()["name"] == "orders reader?#"
