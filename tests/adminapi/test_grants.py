"""Privilege inside a realm, through the admin API: an admin role enters or leaves anyone's
effective roles (directly, through a group or its parent, through a service account) only by
the hand of a holder; a stronger account or a stronger client's secret is not taken over."""

import json

import pytest
from django.contrib.auth.hashers import check_password
from jwcrypto import jwk

from accounts.models import MASTER_REALM, Event, Role, User
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from authserver.protocol.claims import effective_roles
from tests.adminapi.helpers import admin_roles, admin_token, call, token_for, url
from tests.factories import PASSWORD, make_client, make_group, make_realm, make_user
from tests.protocol.helpers import REDIRECT_URI, endpoint, make_web_client, post_form, verify
from tests.protocol.issued import client_assertion, service_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = {"type": "password", "value": "Another-Pass-77", "temporary": False}


@pytest.fixture
def admins(realm):
    """/admins carries realm-admin; /admins/deputies inherits it."""
    group = make_group(realm, "admins")
    group.roles.add(*admin_roles(realm, rm.REALM_ADMIN))
    make_group(realm, "deputies", parent=group)
    return group


@pytest.fixture
def mallory(realm):
    """A user manager of the realm: manage-users, nothing else."""
    user = make_user(realm, "mallory")
    user.roles.add(*admin_roles(realm, rm.MANAGE_USERS))
    return user


@pytest.fixture
def boss(realm, admins):
    """A realm administrator through the admins group."""
    user = make_user(realm, "boss")
    user.realm_groups.add(admins)
    return user


def _held(user) -> set[str]:
    """The admin roles in the user's tokens' view: direct and through groups."""
    roles = effective_roles(user)
    return {role.name for role in roles if role.client and role.client.client_id == rm.CLIENT_ID}


def _user_url(realm, user, *rest):
    return url(realm, "users", str(user.subject), *rest)


# --- Grant: effective roles, before and after ---------------------------------------------------


def test_it_refuses_a_user_manager_joining_a_group_that_carries_realm_admin(
    client, realm, admins, mallory
):
    response = call(
        client, "PUT", _user_url(realm, mallory), token_for(mallory), {"groups": ["/admins"]}
    )
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "insufficient_permissions"
    assert "realm-admin" in response.json()["error_description"]
    assert not mallory.realm_groups.exists()
    assert not Event.objects.filter(category="admin").exists()


def test_it_refuses_joining_a_subgroup_that_inherits_realm_admin(client, realm, admins, mallory):
    body = {"groups": ["/admins/deputies"]}
    response = call(client, "PUT", _user_url(realm, mallory), token_for(mallory), body)
    assert response.status_code == 403
    assert _held(mallory) == {rm.MANAGE_USERS}


def test_it_refuses_creating_a_user_inside_a_group_that_carries_realm_admin(
    client, realm, admins, mallory
):
    body = {"username": "puppet", "groups": ["/admins"], "credentials": [NEW_PASSWORD]}
    response = call(client, "POST", url(realm, "users"), token_for(mallory), body)
    assert response.status_code == 403
    assert not User.objects.filter(username="puppet").exists()


def test_it_refuses_removing_a_realm_admin_from_the_group_that_makes_them_one(
    client, realm, boss, mallory
):
    response = call(client, "PUT", _user_url(realm, boss), token_for(mallory), {"groups": []})
    assert response.status_code == 403
    assert _held(boss) == {rm.REALM_ADMIN}


def test_it_refuses_mapping_an_admin_role_to_a_group_of_members(client, realm, mallory):
    group = make_group(realm, "staff")
    mallory.realm_groups.add(group)
    body = {"clientRoles": {rm.CLIENT_ID: [rm.MANAGE_CLIENTS]}}
    response = call(client, "PUT", url(realm, "groups", str(group.pk)), token_for(mallory), body)
    assert response.status_code == 403
    assert _held(mallory) == {rm.MANAGE_USERS}


def test_it_refuses_giving_a_service_account_an_admin_role_the_caller_lacks(client, realm):
    robot = make_client(realm, "robot", service_accounts_enabled=True)
    account = robot.create_service_account()
    token = admin_token(realm, rm.MANAGE_USERS, rm.MANAGE_CLIENTS)
    body = {"clientRoles": {rm.CLIENT_ID: [rm.REALM_ADMIN]}}
    response = call(client, "PUT", _user_url(realm, account), token, body)
    assert response.status_code == 403
    assert _held(account) == set()


def test_it_lets_a_holder_hand_out_what_they_hold_through_groups(client, realm, boss, mallory):
    # manage-users implies view-users: its holder may hand out either.
    group = make_group(realm, "helpdesk")
    group.roles.add(*admin_roles(realm, rm.VIEW_USERS))
    bob = make_user(realm, "bob")
    response = call(
        client, "PUT", _user_url(realm, bob), token_for(mallory), {"groups": ["/helpdesk"]}
    )
    assert response.status_code == 204, response.content
    assert _held(bob) == {rm.VIEW_USERS}
    # A realm administrator may make another one.
    body = {"groups": ["/helpdesk", "/admins"]}
    assert call(client, "PUT", _user_url(realm, bob), token_for(boss), body).status_code == 204
    assert _held(bob) == {rm.VIEW_USERS, rm.REALM_ADMIN}


# --- Take over: a stronger account --------------------------------------------------------------


def test_it_refuses_a_user_manager_resetting_a_realm_admins_password(client, realm, boss, mallory):
    path = _user_url(realm, boss, "reset-password")
    response = call(client, "PUT", path, token_for(mallory), NEW_PASSWORD)
    assert response.status_code == 403, response.content
    boss.refresh_from_db()
    assert check_password(PASSWORD, boss.password)


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("PUT", {"enabled": False}),
        ("PUT", {"email": "mallory@example.com"}),
        ("PUT", {"credentials": [NEW_PASSWORD]}),
        ("DELETE", None),
    ],
)
def test_it_refuses_a_user_manager_changing_a_realm_admin(
    client, realm, boss, mallory, method, body
):
    response = call(client, method, _user_url(realm, boss), token_for(mallory), body)
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.is_active and not boss.email and check_password(PASSWORD, boss.password)


def test_it_refuses_taking_over_a_user_with_more_admin_roles(client, realm, mallory):
    stronger = make_user(realm, "stronger")
    stronger.roles.add(*admin_roles(realm, rm.MANAGE_USERS, rm.MANAGE_CLIENTS))
    path = _user_url(realm, stronger, "reset-password")
    assert call(client, "PUT", path, token_for(mallory), NEW_PASSWORD).status_code == 403


def test_it_lets_a_user_manager_reset_an_equal_or_weaker_user(client, realm, mallory):
    peer = make_user(realm, "peer")
    peer.roles.add(*admin_roles(realm, rm.MANAGE_USERS))
    viewer = make_user(realm, "viewer")
    viewer.roles.add(*admin_roles(realm, rm.VIEW_USERS))
    for user in (peer, viewer, make_user(realm, "plain")):
        path = _user_url(realm, user, "reset-password")
        assert call(client, "PUT", path, token_for(mallory), NEW_PASSWORD).status_code == 204
        user.refresh_from_db()
        assert check_password(NEW_PASSWORD["value"], user.password)


def test_it_lets_a_realm_admin_reset_another(client, realm, boss):
    other = make_user(realm, "other")
    other.roles.add(*admin_roles(realm, rm.REALM_ADMIN))
    path = _user_url(realm, other, "reset-password")
    assert call(client, "PUT", path, token_for(boss), NEW_PASSWORD).status_code == 204


def test_it_keeps_console_accounts_out_of_a_master_user_managers_reach(client):
    master = make_realm(MASTER_REALM, default_signature_algorithm="ES256")
    operator = make_user(master, "operator", is_staff=True)
    token = admin_token(master, rm.MANAGE_USERS)
    path = _user_url(master, operator, "reset-password")
    assert call(client, "PUT", path, token, NEW_PASSWORD).status_code == 403
    operator.refresh_from_db()
    assert check_password(PASSWORD, operator.password)


# --- Take over: a stronger client's secret ------------------------------------------------------


@pytest.fixture
def robot(realm):
    """A client whose service account is a realm administrator."""
    robot = make_client(realm, "robot", service_accounts_enabled=True, standard_flow_enabled=False)
    robot.create_service_account().roles.add(*admin_roles(realm, rm.REALM_ADMIN))
    return robot


def test_it_refuses_a_client_manager_regenerating_a_realm_admin_clients_secret(
    client, realm, robot
):
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    response = call(client, "POST", url(realm, "clients", "robot", "client-secret"), token)
    assert response.status_code == 403, response.content
    assert "value" not in response.json()
    assert Client.objects.get(pk=robot.pk).client_secret == robot.client_secret


@pytest.mark.parametrize("body", [{"secret": "chosen-" + "y" * 40}, {"hashedSecret": "x"}])
def test_it_refuses_a_client_manager_setting_a_realm_admin_clients_secret(
    client, realm, robot, body
):
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    response = call(client, "PUT", url(realm, "clients", "robot"), token, body)
    assert response.status_code == 403
    assert Client.objects.get(pk=robot.pk).client_secret == robot.client_secret


def test_it_refuses_a_client_manager_registering_their_own_key_for_a_realm_admin_client(
    client, realm, robot
):
    """A registered key is a credential as the secret is: whoever holds its private half
    signs in as the client, and gets its service account's tokens."""
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    keys = {"keys": [{**key.export_public(as_dict=True), "kid": "k1", "alg": "ES256"}]}
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    body = {"attributes": {"jwks.string": json.dumps(keys)}}
    response = call(client, "PUT", url(realm, "clients", "robot"), token, body)
    assert response.status_code == 403, response.content
    assert Client.objects.get(pk=robot.pk).attributes == {}
    form = {"grant_type": "client_credentials", **client_assertion(key, realm, "robot")}
    assert post_form(client, endpoint(realm, "token"), form).status_code == 401


def test_it_refuses_a_client_manager_naming_their_certificate_for_a_realm_admin_client(
    client, realm, robot
):
    """RFC 8705: whoever holds a certificate with the registered subject signs in as the client,
    so the subject (and the choice of X.509 authentication) is a credential too."""
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    body = {
        "clientAuthenticatorType": "client-x509",
        "attributes": {"x509.subjectdn": "(.*)CN=mallory(.*)"},
    }
    response = call(client, "PUT", url(realm, "clients", "robot"), token, body)
    assert response.status_code == 403, response.content
    assert Client.objects.get(pk=robot.pk).attributes == {}


def test_it_refuses_a_client_manager_deleting_a_realm_admin_client(client, realm, robot):
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    assert call(client, "DELETE", url(realm, "clients", "robot"), token).status_code == 403
    assert Client.objects.filter(pk=robot.pk).exists()


def test_it_lets_a_client_manager_regenerate_a_weaker_clients_secret(client, realm):
    weak = make_client(realm, "weak", service_accounts_enabled=True, standard_flow_enabled=False)
    weak.create_service_account().roles.add(*admin_roles(realm, rm.VIEW_CLIENTS))
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    response = call(client, "POST", url(realm, "clients", "weak", "client-secret"), token)
    assert response.status_code == 200


def test_it_lets_a_realm_admin_regenerate_a_realm_admin_clients_secret(client, realm, robot):
    token = admin_token(realm, rm.REALM_ADMIN)
    response = call(client, "POST", url(realm, "clients", "robot", "client-secret"), token)
    assert response.status_code == 200


def test_it_never_lets_a_client_credentials_token_speak_for_the_client_later_given_its_name(
    client, realm, robot
):
    """A client-credentials token is not stored: it is checked against the client its
    ``client_id`` names. A client manager's own machine token, its name then handed to the
    realm-admin robot by two renames, must not become the robot's."""
    mallory = admin_token(realm, rm.MANAGE_CLIENTS)
    scope = {
        "name": "admin-api",
        "protocolMappers": [
            {
                "name": "admin-api-audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {"included.custom.audience": rm.CLIENT_ID},
            }
        ],
    }
    assert call(client, "POST", url(realm, "client-scopes"), mallory, scope).status_code == 201
    machine = {
        "clientId": "mine",
        "standardFlowEnabled": False,
        "serviceAccountsEnabled": True,
        "defaultClientScopes": ["admin-api"],
    }
    created = call(client, "POST", url(realm, "clients"), mallory, machine)
    assert created.status_code == 201, created.content
    token = service_token(client, realm, "mine", created.json()["secret"])
    assert rm.CLIENT_ID in verify(client, realm, token)["aud"]
    for old, new in (("mine", "mine-old"), ("robot", "mine")):
        renamed = call(client, "PUT", url(realm, "clients", old), mallory, {"clientId": new})
        assert renamed.status_code == 204, renamed.content

    body = {"username": "puppet", "clientRoles": {rm.CLIENT_ID: [rm.REALM_ADMIN]}}
    response = call(client, "POST", url(realm, "users"), token, body)

    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_token"
    assert not User.objects.filter(username="puppet").exists()


# --- Take over: a client the admin API takes tokens of -------------------------------------------


def test_it_refuses_a_client_manager_redirecting_an_admin_client_to_themselves(client, realm, boss):
    """admin-cli's tokens reach the admin API: a client manager who adds a redirect URI of
    their own to it gets a realm administrator's code from one click on a link."""
    make_web_client(realm, "admin-cli", public=True, redirect_uris="https://admin.acme.example/cb")
    mallory = admin_token(realm, rm.MANAGE_CLIENTS)
    body = {"redirectUris": ["https://admin.acme.example/cb", REDIRECT_URI]}
    response = call(client, "PUT", url(realm, "clients", "admin-cli"), mallory, body)
    assert response.status_code == 403, response.content
    assert Client.objects.get(realm=realm, client_id="admin-cli").redirect_uris == (
        "https://admin.acme.example/cb"
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "admin-cli", {"attributes": {"token.exchange.audiences": rm.CLIENT_ID}}),
        ("PUT", "admin-cli", {"publicClient": False, "secret": "Hq3vZ8pLw2XkR7tN5mJc9BdF4sGy6aUe"}),
        ("POST", "admin-cli/client-secret", None),
        ("PUT", "admin-cli", {"clientId": "old-cli"}),
        ("DELETE", "admin-cli", None),
    ],
)
def test_it_refuses_a_client_manager_taking_over_an_admin_client(client, realm, method, path, body):
    before = make_web_client(realm, "admin-cli", redirect_uris="https://admin.acme.example/cb")
    mallory = admin_token(realm, rm.MANAGE_CLIENTS)
    response = call(client, method, url(realm, "clients", *path.split("/")), mallory, body)
    assert response.status_code == 403, response.content
    after = Client.objects.get(pk=before.pk)
    assert (after.client_id, after.client_secret, after.attributes) == (
        "admin-cli",
        before.client_secret,
        {},
    )


def test_it_refuses_a_client_manager_creating_an_admin_client(client, realm):
    """No security-admin-console yet: whoever made one would own a client the admin API
    takes tokens of."""
    mallory = admin_token(realm, rm.MANAGE_CLIENTS)
    body = {"clientId": "security-admin-console", "redirectUris": [REDIRECT_URI]}
    response = call(client, "POST", url(realm, "clients"), mallory, body)
    assert response.status_code == 403
    assert not Client.objects.filter(client_id="security-admin-console").exists()


def test_it_lets_a_client_manager_change_a_client_the_admin_api_does_not_take(client, realm):
    make_web_client(realm, "demo-web")
    mallory = admin_token(realm, rm.MANAGE_CLIENTS)
    body = {"redirectUris": [REDIRECT_URI, "https://demo.example/cb"]}
    assert call(client, "PUT", url(realm, "clients", "demo-web"), mallory, body).status_code == 204


def test_it_lets_a_realm_admin_change_an_admin_client(client, realm, boss):
    make_web_client(realm, "admin-cli", public=True)
    body = {"redirectUris": [REDIRECT_URI, "https://admin.acme.example/cb"]}
    response = call(client, "PUT", url(realm, "clients", "admin-cli"), token_for(boss), body)
    assert response.status_code == 204


# --- Composite roles: holding one is holding what it contains ------------------------------------


@pytest.fixture
def helper(realm):
    """A realm role containing realm-admin (Keycloak's composite role)."""
    role = Role.objects.create(realm=realm, name="helper")
    role.composites.add(*admin_roles(realm, rm.REALM_ADMIN))
    return role


def test_it_refuses_a_user_manager_joining_a_group_with_a_role_that_contains_realm_admin(
    client, realm, helper, mallory
):
    make_group(realm, "helpers").roles.add(helper)
    response = call(
        client, "PUT", _user_url(realm, mallory), token_for(mallory), {"groups": ["/helpers"]}
    )
    assert response.status_code == 403, response.content
    assert "realm-admin" in response.json()["error_description"]
    assert _held(mallory) == {rm.MANAGE_USERS}


def test_it_lets_the_holder_of_a_composite_containing_realm_admin_administer(client, realm, helper):
    holder = make_user(realm, "holder")
    holder.roles.add(helper)
    response = call(client, "GET", url(realm, "clients"), token_for(holder))
    assert response.status_code == 200, response.content
