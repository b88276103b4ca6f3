"""Keycloak's role-mapping sub-resources of users and groups (.../role-mappings[/realm|/clients/
{client}][/available|/composite]), as python-keycloak and the Keycloak admin client call them."""

import pytest

from accounts.models import Event
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_roles, admin_token, call, url
from tests.factories import make_client, make_group, make_role, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(realm):
    return admin_token(realm, rm.MANAGE_USERS)


@pytest.fixture
def shop(realm):
    client = make_client(realm, "shop")
    make_role(realm, "buyer", client=client)
    make_role(realm, "seller", client=client)
    return client


@pytest.fixture
def alice(realm):
    return make_user(realm, "alice")


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [role["name"] for role in response.json()]


def test_it_maps_and_unmaps_realm_roles_of_a_user(client, realm, manager, alice):
    reader, _writer = make_role(realm, "reader"), make_role(realm, "writer")
    path = url(realm, "users", str(alice.subject), "role-mappings", "realm")
    assert _names(call(client, "GET", path, manager)) == []
    role = {"id": "reader", "name": "reader", "composite": False, "clientRole": False}
    assert call(client, "POST", path, manager, [role]).status_code == 204
    assert list(alice.roles.all()) == [reader]
    assert call(client, "GET", path, manager).json() == [
        {
            "id": "reader",
            "name": "reader",
            "description": "",
            "composite": False,
            "clientRole": False,
            "containerId": "acme",
        }
    ]
    # The roles a client would offer: those not held yet.
    assert _names(call(client, "GET", f"{path}/available", manager)) == ["writer"]
    assert call(client, "DELETE", path, manager, [{"name": "reader"}]).status_code == 204
    assert not alice.roles.exists()
    assert list(Event.objects.order_by("id").values_list("type", "resource_type")) == [
        ("CREATE", "REALM_ROLE_MAPPING"),
        ("DELETE", "REALM_ROLE_MAPPING"),
    ]


def test_it_maps_client_roles_of_a_user(client, realm, manager, alice, shop):
    path = url(realm, "users", str(alice.subject), "role-mappings", "clients", "shop")
    assert _names(call(client, "GET", f"{path}/available", manager)) == ["buyer", "seller"]
    assert call(client, "POST", path, manager, [{"id": "buyer"}]).status_code == 204
    assert _names(call(client, "GET", path, manager)) == ["buyer"]
    assert _names(call(client, "GET", f"{path}/available", manager)) == ["seller"]
    assert call(client, "GET", path, manager).json()[0]["containerId"] == "shop"


def test_it_shows_every_direct_mapping_at_once(client, realm, manager, alice, shop):
    alice.roles.add(make_role(realm, "reader"), *shop.roles.filter(name="buyer"))
    answer = call(client, "GET", url(realm, "users", str(alice.subject), "role-mappings"), manager)
    assert answer.status_code == 200
    body = answer.json()
    assert [role["name"] for role in body["realmMappings"]] == ["reader"]
    assert list(body["clientMappings"]) == ["shop"]
    assert body["clientMappings"]["shop"]["client"] == "shop"
    assert [role["name"] for role in body["clientMappings"]["shop"]["mappings"]] == ["buyer"]
    bob = make_user(realm, "bob")
    empty = call(client, "GET", url(realm, "users", str(bob.subject), "role-mappings"), manager)
    assert empty.json() == {}


def test_it_counts_roles_held_through_groups_as_composite(client, realm, manager, alice):
    staff = make_group(realm, "staff")
    night = make_group(realm, "night", parent=staff)
    staff.roles.add(make_role(realm, "reader"))
    night.roles.add(make_role(realm, "writer"))
    alice.realm_groups.add(night)
    make_role(realm, "other")
    base = url(realm, "users", str(alice.subject), "role-mappings", "realm")
    assert _names(call(client, "GET", base, manager)) == []
    assert _names(call(client, "GET", f"{base}/composite", manager)) == ["reader", "writer"]
    assert _names(call(client, "GET", f"{base}/available", manager)) == ["other"]
    group = url(realm, "groups", str(night.pk), "role-mappings", "realm")
    assert _names(call(client, "GET", group, manager)) == ["writer"]
    assert _names(call(client, "GET", f"{group}/composite", manager)) == ["reader", "writer"]


def test_it_maps_roles_of_a_group(client, realm, manager, shop):
    staff = make_group(realm, "staff")
    reader = make_role(realm, "reader")
    base = url(realm, "groups", str(staff.pk), "role-mappings")
    assert call(client, "POST", f"{base}/realm", manager, [{"name": "reader"}]).status_code == 204
    seller = [{"name": "seller"}]
    assert call(client, "POST", f"{base}/clients/shop", manager, seller).status_code == 204
    assert list(staff.roles.filter(client=None)) == [reader]
    body = call(client, "GET", base, manager).json()
    assert [role["name"] for role in body["realmMappings"]] == ["reader"]
    assert [role["name"] for role in body["clientMappings"]["shop"]["mappings"]] == ["seller"]
    assert call(client, "DELETE", f"{base}/clients/shop", manager, seller).status_code == 204
    assert not staff.roles.filter(client=shop).exists()


def test_it_refuses_a_user_manager_mapping_realm_admin(client, realm, manager, alice):
    path = url(realm, "users", str(alice.subject), "role-mappings", "clients", rm.CLIENT_ID)
    answer = call(client, "POST", path, manager, [{"name": rm.REALM_ADMIN}])
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_permissions"
    assert not alice.roles.exists()
    staff = make_group(realm, "staff")
    group_path = url(realm, "groups", str(staff.pk), "role-mappings", "clients", rm.CLIENT_ID)
    assert (
        call(client, "POST", group_path, manager, [{"name": rm.MANAGE_CLIENTS}]).status_code == 403
    )
    assert not staff.roles.exists()
    assert not Event.objects.exists()


def test_it_lets_a_realm_admin_map_an_admin_role(client, realm, alice):
    boss = admin_token(realm, rm.REALM_ADMIN)
    path = url(realm, "users", str(alice.subject), "role-mappings", "clients", rm.CLIENT_ID)
    assert call(client, "POST", path, boss, [{"name": rm.MANAGE_USERS}]).status_code == 204
    assert list(alice.roles.all()) == admin_roles(realm, rm.MANAGE_USERS)


def test_it_refuses_a_user_manager_unmapping_a_stronger_users_roles(client, realm, manager):
    boss = make_user(realm, "boss")
    boss.roles.add(*admin_roles(realm, rm.REALM_ADMIN), make_role(realm, "reader"))
    path = url(realm, "users", str(boss.subject), "role-mappings", "realm")
    assert call(client, "DELETE", path, manager, [{"name": "reader"}]).status_code == 403
    assert boss.roles.filter(name="reader").exists()


def test_it_finds_a_role_by_name_when_its_id_is_another_servers(client, realm, manager, alice):
    make_role(realm, "reader")
    path = url(realm, "users", str(alice.subject), "role-mappings", "realm")
    body = [{"id": "0b6f4ba2-6bd1-4f4e-9a9c-3d1c0f0e8d11", "name": "reader"}]
    assert call(client, "POST", path, manager, body).status_code == 204
    assert list(alice.roles.values_list("name", flat=True)) == ["reader"]


def test_it_answers_404_for_an_unknown_role_and_400_for_a_bad_body(client, realm, manager, alice):
    path = url(realm, "users", str(alice.subject), "role-mappings", "realm")
    assert call(client, "POST", path, manager, [{"name": "ghost"}]).status_code == 404
    assert call(client, "POST", path, manager, {"name": "reader"}).status_code == 400
    assert call(client, "POST", path, manager, [{"name": 3}]).status_code == 400
    unknown_client = url(realm, "users", str(alice.subject), "role-mappings", "clients", "ghost")
    assert call(client, "GET", unknown_client, manager).status_code == 404


def test_it_needs_view_users_to_read_and_manage_users_to_write(client, realm, alice):
    reader = admin_token(realm, rm.VIEW_USERS)
    make_role(realm, "reader")
    path = url(realm, "users", str(alice.subject), "role-mappings", "realm")
    assert call(client, "GET", path, reader).status_code == 200
    assert call(client, "POST", path, reader, [{"name": "reader"}]).status_code == 403
    assert call(client, "GET", path, admin_token(realm, rm.VIEW_CLIENTS)).status_code == 403


def test_it_validates_ownership(client, realm, other_realm, alice):
    """Charlie, admin of another realm, sees nothing of acme's mappings; acme's roles cannot
    be mapped through charlie's realm."""
    make_role(realm, "reader")
    charlie = admin_token(other_realm, rm.REALM_ADMIN)
    path = url(realm, "users", str(alice.subject), "role-mappings", "realm")
    assert call(client, "GET", path, charlie).status_code == 404
    bob = make_user(other_realm, "bob")
    theirs = url(other_realm, "users", str(bob.subject), "role-mappings", "realm")
    assert call(client, "POST", theirs, charlie, [{"name": "reader"}]).status_code == 404
    mine = url(other_realm, "users", str(alice.subject), "role-mappings", "realm")
    assert call(client, "GET", mine, charlie).status_code == 404
