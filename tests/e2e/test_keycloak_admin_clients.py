"""Keycloak's own admin clients, unchanged, against a live server: python-keycloak's
``KeycloakAdmin`` (signing in to master's admin-cli with a password) and the npm package
``@keycloak/keycloak-admin-client`` (tests/e2e/keycloak_admin_client.mjs): users, groups, roles
and role mappings."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError

from accounts.models import MASTER_REALM, Group, Role, User
from tests.e2e import npm
from tests.factories import PASSWORD, make_client, make_realm, make_role, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def master_admin(issuer_server):
    master = make_realm(MASTER_REALM, brute_force_protected=True)
    make_user(master, "root", is_superuser=True, is_staff=True)
    return "root"


@pytest.fixture
def acme(issuer_server):
    realm = make_realm("acme")
    make_role(realm, "reader")
    make_role(realm, "writer")
    shop = make_client(realm, "shop")
    make_role(realm, "buyer", client=shop)
    return realm


def _admin(issuer_server, realm_name="acme") -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=issuer_server.url,
        username="root",
        password=PASSWORD,
        realm_name=realm_name,
        user_realm_name=MASTER_REALM,
    )


def test_python_keycloak_manages_users_groups_roles_and_mappings(issuer_server, master_admin, acme):
    admin = _admin(issuer_server)
    user_id = admin.create_user({"username": "alice", "enabled": True, "email": "a@example.com"})
    assert admin.get_user_id("alice") == user_id
    assert admin.users_count() == 1
    assert [user["username"] for user in admin.get_users({"search": "ali"})] == ["alice"]

    reader = admin.get_realm_role("reader")
    admin.assign_realm_roles(user_id, [reader])
    assert [role["name"] for role in admin.get_realm_roles_of_user(user_id)] == ["reader"]
    available = admin.get_available_realm_roles_of_user(user_id)
    assert "writer" in [role["name"] for role in available]
    assert "reader" not in [role["name"] for role in available]

    shop_id = admin.get_client_id("shop")
    buyer = admin.get_client_role(shop_id, "buyer")
    admin.assign_client_role(user_id, shop_id, [buyer])
    assert [role["name"] for role in admin.get_client_roles_of_user(user_id, shop_id)] == ["buyer"]
    composite = admin.get_composite_client_roles_of_user(user_id, shop_id)
    assert [role["name"] for role in composite] == ["buyer"]

    group_id = admin.create_group({"name": "staff"})
    admin.assign_group_realm_roles(group_id, [admin.get_realm_role("writer")])
    assert [role["name"] for role in admin.get_group_realm_roles(group_id)] == ["writer"]
    admin.group_user_add(user_id, group_id)
    assert [user["username"] for user in admin.get_group_members(group_id)] == ["alice"]
    assert [group["name"] for group in admin.get_user_groups(user_id)] == ["staff"]
    effective = admin.get_composite_realm_roles_of_user(user_id)
    assert {role["name"] for role in effective} >= {"reader", "writer"}
    assert admin.groups_count() == {"count": 1}

    admin.delete_realm_roles_of_user(user_id, [reader])
    assert admin.get_realm_roles_of_user(user_id) == []
    admin.group_user_remove(user_id, group_id)
    assert admin.get_user_groups(user_id) == []
    alice = User.objects.get(realm=acme, username="alice")
    assert list(alice.roles.values_list("name", flat=True)) == ["buyer"]
    assert Group.objects.get(realm=acme).roles.get().name == "writer"

    robot_id = admin.create_client(
        {"clientId": "robot", "serviceAccountsEnabled": True, "standardFlowEnabled": False}
    )
    robot = admin.get_client_service_account_user(robot_id)
    assert robot["username"] == "service-account-robot"
    secret = admin.get_client_secrets(robot_id)
    assert secret["type"] == "secret" and secret["value"] is None

    # Paging through every role ends.
    assert {role["name"] for role in admin.get_realm_roles()} >= {"reader", "writer"}
    assert Role.objects.filter(realm=acme, client=None).count() >= 2

    # A composite role: holding writer is holding reader too.
    admin.add_composite_realm_roles_to_role("writer", [admin.get_realm_role("reader")])
    contained = admin.get_composite_realm_roles_of_role("writer")
    assert [role["name"] for role in contained] == ["reader"]
    assert admin.get_realm_role("writer")["composite"] is True
    admin.remove_composite_realm_roles_to_role("writer", [admin.get_realm_role("reader")])
    assert admin.get_composite_realm_roles_of_role("writer") == []


def test_python_keycloak_is_refused_a_wrong_password(issuer_server, master_admin, acme):
    with pytest.raises(KeycloakError):
        KeycloakAdmin(
            server_url=issuer_server.url,
            username="root",
            password="wrong",
            realm_name="acme",
            user_realm_name=MASTER_REALM,
        ).get_users()


# The npm client, pinned; installed under a temporary folder by the test itself.
ADMIN_CLIENT_PACKAGE = "@keycloak/keycloak-admin-client@26.7.4"
SCRIPT = Path(__file__).with_name("keycloak_admin_client.mjs")


@pytest.fixture(scope="session")
def node_admin_client(tmp_path_factory):
    node, _ = npm.tools()
    return node, npm.install(tmp_path_factory, ADMIN_CLIENT_PACKAGE, SCRIPT) / SCRIPT.name


def test_keycloak_admin_client_manages_users_groups_roles_and_mappings(
    issuer_server, master_admin, acme, node_admin_client
):
    node, script = node_admin_client
    run = subprocess.run(
        [node, str(script)],
        env={
            **os.environ,
            "BASE_URL": issuer_server.url,
            "ADMIN_USERNAME": master_admin,
            "ADMIN_PASSWORD": PASSWORD,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["usersCount"] == 1
    assert seen["found"] == ["bob"]
    assert seen["realmMappings"] == ["reader"]
    assert "writer" in seen["available"] and "reader" not in seen["available"]
    assert seen["clientMappings"] == ["buyer"]
    assert seen["allMappings"] == {"realm": ["reader"], "clients": ["shop"]}
    assert seen["members"] == ["bob"]
    assert seen["userGroups"] == ["/crew"]
    assert {"reader", "writer"} <= set(seen["composite"])
    assert seen["groupsCount"] == {"count": 1}
    realm_roles = sorted(
        Role.objects.filter(realm=acme, client=None).values_list("name", flat=True)
    )
    assert seen["paged"] == realm_roles
    assert seen["afterRemoval"] == {"realm": [], "groups": 0}
    assert seen["missing"] is None
    bob = User.objects.get(realm=acme, username="bob")
    assert list(bob.roles.values_list("name", flat=True)) == ["buyer"]
