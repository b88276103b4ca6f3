"""The OpenAPI description matches the routes served, and the main GETs match its schemas."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from authserver.adminapi import openapi
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_client, make_group, make_role, make_scope, make_user

pytestmark = pytest.mark.django_db


def _served(resolver=None, prefix=""):
    """(path, view) of every URL pattern, however deeply included."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _served(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_it_describes_every_admin_route_and_nothing_else(client):
    document = client.get("/admin/openapi.json").json()
    served = {
        openapi.openapi_path(path.removeprefix("admin/")): {
            method.lower() for method in view.route.operations
        }
        for path, view in _served()
        # A trailing slash is the same route again (Keycloak takes both).
        if path.startswith("admin/realms") and not path.endswith("/")
    }
    described = {
        path: {method for method in item if method != "parameters"}
        for path, item in document["paths"].items()
    }
    assert served == described
    assert document["openapi"] == "3.1.0"


def test_its_schemas_are_valid_json_schemas(client):
    for schema in client.get("/admin/openapi.json").json()["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def _validator(document, name):
    registry = Registry().with_resource("urn:admin", DRAFT202012.create_resource(document))
    return Draft202012Validator(
        {"$ref": f"urn:admin#/components/schemas/{name}"}, registry=registry
    )


def _check(document, name, value):
    """Valid against the schema, and no field that the schema does not declare."""
    _validator(document, name).validate(value)
    declared = document["components"]["schemas"][name]["properties"]
    assert set(value) <= set(declared), set(value) - set(declared)


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("", "Realm"),
        ("clients", "Client"),
        ("clients/web", "Client"),
        ("clients/web/roles", "Role"),
        ("roles", "Role"),
        ("roles/reader", "Role"),
        ("users", "User"),
        ("groups", "Group"),
        ("client-scopes", "ClientScope"),
        ("client-scopes/orders:read", "ClientScope"),
    ],
)
def test_its_main_answers_match_the_schemas(client, realm, path, schema):
    web = make_client(realm, "web", attributes={"login_theme": "acme"})
    make_role(realm, "editor", client=web)
    reader = make_role(realm, "reader")
    staff = make_group(realm, "staff")
    make_group(realm, "night", parent=staff).roles.add(reader)
    user = make_user(realm, "bob")
    user.realm_groups.add(staff)
    user.roles.add(reader)
    make_scope(realm, "orders:read", audience="orders")
    document = client.get("/admin/openapi.json").json()
    response = call(
        client, "GET", url(realm, path) if path else url(realm), admin_token(realm, rm.REALM_ADMIN)
    )
    assert response.status_code == 200
    answer = response.json()
    for value in answer if isinstance(answer, list) else [answer]:
        _check(document, schema, value)


def test_it_serves_the_description_to_anyone(client):
    response = client.get("/admin/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
