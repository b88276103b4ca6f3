"""/admin/realms/{realm}/client-scopes."""

import pytest

from accounts.models import ClientScope, Event
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_scope

pytestmark = pytest.mark.django_db

ORDERS = {
    "name": "orders:read",
    "description": "Read your orders",
    "protocol": "openid-connect",
    "protocolMappers": [
        {
            "name": "orders-audience",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "config": {"included.custom.audience": "orders"},
        }
    ],
}


@pytest.fixture
def manager(realm):
    return admin_token(realm, rm.MANAGE_CLIENTS)


def test_it_manages_a_client_scope(client, realm, manager):
    created = call(client, "POST", url(realm, "client-scopes"), manager, ORDERS)
    assert created.status_code == 201, created.content
    assert created["Location"] == "/admin/realms/acme/client-scopes/orders:read"
    assert created.json() == {"id": "orders:read", **ORDERS}
    assert ClientScope.objects.get(realm=realm, name="orders:read").audiences == ["orders"]
    path = url(realm, "client-scopes", "orders:read")
    assert call(client, "PUT", path, manager, {"description": "Orders"}).status_code == 204
    assert call(client, "GET", path, manager).json()["description"] == "Orders"
    assert call(client, "DELETE", path, manager).status_code == 204
    assert [event.type for event in Event.objects.order_by("id")] == ["CREATE", "UPDATE", "DELETE"]


def test_it_names_a_bad_mapper(client, realm, manager):
    body = ORDERS | {"protocolMappers": [{**ORDERS["protocolMappers"][0], "config": {}}]}
    response = call(client, "POST", url(realm, "client-scopes"), manager, body)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [
        'protocolMappers[0].config["included.custom.audience"]'
    ]


def test_it_keeps_the_built_in_scopes(client, realm, manager):
    path = url(realm, "client-scopes", "openid")
    assert call(client, "DELETE", path, manager).status_code == 400
    assert call(client, "PUT", path, manager, {"name": "oid"}).status_code == 400
    assert ClientScope.objects.filter(realm=realm, name="openid").exists()


def test_it_refuses_a_duplicate_with_409(client, realm, manager):
    make_scope(realm, "orders:read")
    response = call(client, "POST", url(realm, "client-scopes"), manager, ORDERS)
    assert response.status_code == 409


def test_it_answers_404_for_a_scope_of_another_realm(client, realm, other_realm, manager):
    make_scope(other_realm, "charlies:scope")
    path = url(realm, "client-scopes", "charlies:scope")
    assert call(client, "GET", path, manager).status_code == 404
    assert call(client, "DELETE", path, manager).status_code == 404
