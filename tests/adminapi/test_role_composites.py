"""Keycloak's composite-role sub-resources (roles/{name}/composites[/realm|/clients/{client}],
and the same under a client's roles), as python-keycloak and the Keycloak admin client call
them; what a composite holds reaches tokens, and granting through one goes through the rule."""

import pytest

from accounts.models import Role
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_roles, admin_token, call, token_for, url
from tests.factories import make_client, make_group, make_role, make_user
from tests.protocol.helpers import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(realm):
    client = make_client(realm, "shop")
    make_role(realm, "buyer", client=client)
    return client


@pytest.fixture
def bundle(realm):
    make_role(realm, "reader")
    return make_role(realm, "bundle")


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [role["name"] for role in response.json()]


BUYER = {"name": "buyer", "clientRole": True, "containerId": "shop", "composite": False}


def test_it_makes_a_realm_role_contain_realm_and_client_roles(client, realm, shop, bundle):
    token = admin_token(realm, rm.MANAGE_REALM, rm.VIEW_CLIENTS)
    path = url(realm, "roles", "bundle", "composites")
    assert _names(call(client, "GET", path, token)) == []
    added = call(client, "POST", path, token, [{"id": "reader"}, BUYER])
    assert added.status_code == 204, added.content
    assert _names(call(client, "GET", path, token)) == ["reader", "buyer"]
    assert _names(call(client, "GET", f"{path}/realm", token)) == ["reader"]
    assert _names(call(client, "GET", f"{path}/clients/shop", token)) == ["buyer"]
    assert call(client, "GET", url(realm, "roles", "bundle"), token).json()["composite"] is True

    alice = make_user(realm, "alice")
    alice.roles.add(bundle)
    claims = verify(client, realm, token_for(alice, "shop"))
    assert {"bundle", "reader"} <= set(claims["realm_access"]["roles"])
    assert claims["resource_access"]["shop"]["roles"] == ["buyer"]

    removed = call(client, "DELETE", path, token, [{"name": "reader"}])
    assert removed.status_code == 204
    assert _names(call(client, "GET", path, token)) == ["buyer"]


def test_it_makes_a_client_role_contain_others(client, realm, shop, bundle):
    make_role(realm, "seller", client=shop)
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    path = url(realm, "clients", "shop", "roles", "seller", "composites")
    assert call(client, "POST", path, token, [BUYER]).status_code == 204
    assert _names(call(client, "GET", f"{path}/clients/shop", token)) == ["buyer"]
    seller = Role.objects.get(realm=realm, client=shop, name="seller")
    assert [role.name for role in seller.composites.all()] == ["buyer"]


def test_it_shows_what_a_groups_composite_roles_contain(client, realm, bundle):
    bundle.composites.add(Role.objects.get(realm=realm, name="reader", client=None))
    staff = make_group(realm, "staff")
    staff.roles.add(bundle)
    token = admin_token(realm, rm.VIEW_USERS)
    path = url(realm, "groups", str(staff.pk), "role-mappings", "realm")
    assert _names(call(client, "GET", path, token)) == ["bundle"]
    assert _names(call(client, "GET", f"{path}/composite", token)) == ["bundle", "reader"]
    assert "reader" not in _names(call(client, "GET", f"{path}/available", token))


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "reader"}, 400),
        ([{"name": "bundle"}], 400),
        ([{"description": "no name"}], 400),
        (["reader"], 400),
        ([{"name": "missing"}], 404),
        ([{"name": "buyer", "clientRole": True}], 400),
        ([{"name": "buyer", "clientRole": True, "containerId": "nowhere"}], 404),
    ],
)
def test_it_refuses_a_bad_body_and_changes_nothing(client, realm, shop, bundle, body, status):
    token = admin_token(realm, rm.MANAGE_REALM)
    response = call(client, "POST", url(realm, "roles", "bundle", "composites"), token, body)
    assert response.status_code == status, response.content
    assert response.json()["error"]
    assert not bundle.composites.exists()


def test_it_refuses_to_put_an_admin_role_the_caller_lacks_into_a_held_composite(
    client, realm, bundle
):
    bob = make_user(realm, "bob")
    bob.roles.add(bundle)
    token = admin_token(realm, rm.MANAGE_REALM)
    manage_users = {"name": rm.MANAGE_USERS, "clientRole": True, "containerId": rm.CLIENT_ID}
    path = url(realm, "roles", "bundle", "composites")
    response = call(client, "POST", path, token, [manage_users])
    assert response.status_code == 403, response.content
    assert not bundle.composites.exists()


def test_it_lets_a_holder_of_the_admin_role_put_it_into_a_composite(client, realm, bundle):
    token = admin_token(realm, rm.MANAGE_REALM, rm.MANAGE_USERS)
    manage_users = {"name": rm.MANAGE_USERS, "clientRole": True, "containerId": rm.CLIENT_ID}
    path = url(realm, "roles", "bundle", "composites")
    assert call(client, "POST", path, token, [manage_users]).status_code == 204
    assert list(bundle.composites.all()) == admin_roles(realm, rm.MANAGE_USERS)


def test_it_keeps_the_built_in_admin_roles_as_they_are(client, realm, bundle):
    token = admin_token(realm, rm.MANAGE_REALM, rm.MANAGE_CLIENTS, rm.REALM_ADMIN)
    path = url(realm, "clients", rm.CLIENT_ID, "roles", rm.VIEW_USERS, "composites")
    response = call(client, "POST", path, token, [{"name": "reader"}])
    assert response.status_code == 400
    assert call(client, "GET", path, token).status_code == 200
