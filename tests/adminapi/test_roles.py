"""Realm roles (/roles) and client roles (/clients/{clientId}/roles)."""

import pytest

from accounts.models import Event, Role
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_client, make_role

pytestmark = pytest.mark.django_db


def test_it_manages_realm_roles(client, realm):
    token = admin_token(realm, rm.MANAGE_REALM)
    created = call(client, "POST", url(realm, "roles"), token, {"name": "reader"})
    assert created.status_code == 201
    assert created["Location"] == "/admin/realms/acme/roles/reader"
    assert created.json() == {
        "id": "reader",
        "name": "reader",
        "description": "",
        "composite": False,
        "clientRole": False,
        "containerId": "acme",
    }
    changed = call(client, "PUT", url(realm, "roles", "reader"), token, {"description": "Reads"})
    assert changed.status_code == 204
    assert Role.objects.get(realm=realm, name="reader", client=None).description == "Reads"
    listed = call(client, "GET", url(realm, "roles"), token).json()
    assert [role["name"] for role in listed] == ["reader"]
    assert call(client, "DELETE", url(realm, "roles", "reader"), token).status_code == 204
    assert not Role.objects.filter(realm=realm, name="reader").exists()
    assert list(
        Event.objects.order_by("id").values_list("type", "resource_type", "resource_path")
    ) == [
        ("CREATE", "REALM_ROLE", "roles/reader"),
        ("UPDATE", "REALM_ROLE", "roles/reader"),
        ("DELETE", "REALM_ROLE", "roles/reader"),
    ]


def test_it_manages_client_roles(client, realm):
    web = make_client(realm, "web")
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    path = url(realm, "clients", "web", "roles")
    created = call(client, "POST", path, token, {"name": "editor", "description": "Edits"})
    assert created.status_code == 201
    assert created.json()["clientRole"] is True and created.json()["containerId"] == "web"
    assert Role.objects.get(client=web).name == "editor"
    assert call(client, "GET", f"{path}/editor", token).json()["description"] == "Edits"
    assert Event.objects.get().resource_type == "CLIENT_ROLE"


def test_it_refuses_a_duplicate_role_with_409(client, realm):
    make_role(realm, "reader")
    token = admin_token(realm, rm.MANAGE_REALM)
    assert call(client, "POST", url(realm, "roles"), token, {"name": "reader"}).status_code == 409


def test_it_names_the_bad_field(client, realm):
    token = admin_token(realm, rm.MANAGE_REALM)
    for body, field in (({"name": ""}, "name"), ({"name": 7}, "name"), ([], "(body)")):
        response = call(client, "POST", url(realm, "roles"), token, body)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == [field]


def test_it_keeps_the_admin_roles_built_in(client, realm):
    token = admin_token(realm, rm.REALM_ADMIN)
    path = url(realm, "clients", rm.CLIENT_ID, "roles")
    assert call(client, "POST", path, token, {"name": "extra"}).status_code == 400
    assert call(client, "DELETE", f"{path}/{rm.VIEW_USERS}", token).status_code == 400
    assert {role["name"] for role in call(client, "GET", path, token).json()} == set(rm.ROLES)


def test_it_answers_404_for_roles_of_another_realm(client, realm, other_realm):
    make_role(other_realm, "secret-role")
    charlies = make_client(other_realm, "charlies-client")
    make_role(other_realm, "x", client=charlies)
    token = admin_token(realm, rm.REALM_ADMIN)
    assert call(client, "GET", url(realm, "roles", "secret-role"), token).status_code == 404
    path = url(realm, "clients", "charlies-client", "roles")
    assert call(client, "GET", path, token).status_code == 404
