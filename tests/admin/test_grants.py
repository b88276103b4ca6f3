"""Privilege inside a realm, through the console: a console user's Django permissions amount to
admin roles in the realms they administer (user permissions to manage-users, client permissions
to manage-clients, realm permissions to manage-realm, never realm-admin), and the same rule as
the admin API's decides what they may grant and whom they may take over."""

import json

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import console_otp
from accounts.models import ConsoleTOTPDevice, Group, Realm, Role, User
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from authserver.protocol.claims import effective_roles
from authserver.realmfile.exporter import export_realm
from tests.admin.helpers import form_data
from tests.factories import PASSWORD, make_client, make_group, make_realm, make_role, make_user

pytestmark = pytest.mark.django_db

USERS = ["add_user", "change_user", "view_user", "delete_user"]
GROUPS = ["add_group", "change_group", "view_group", "delete_group"]
ROLES = ["add_role", "change_role", "view_role", "delete_role"]
CLIENTS = ["add_client", "change_client", "view_client", "delete_client"]
REALMS = ["change_realm", "view_realm"]
EVERYTHING = [*USERS, *CLIENTS, *REALMS]


@pytest.fixture
def realm(db):
    return make_realm("acme")


def _admin_role(realm, name) -> Role:
    return Role.objects.get(realm=realm, client__client_id=rm.CLIENT_ID, name=name)


def _held(user) -> set[str]:
    roles = effective_roles(user)
    return {role.name for role in roles if role.client and role.client.client_id == rm.CLIENT_ID}


def _login(http, realm, *codenames):
    """A browser of a console user who administers ``realm`` with these permissions only."""
    operator = make_user(None, "operator", is_staff=True)
    operator.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    operator.administered_realms.add(realm)
    http.force_login(operator)
    return http


def _change(model, obj) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/change/"


def _post_change(http, model, obj, **changes):
    url = _change(model, obj)
    return http.post(url, form_data(http.get(url), **changes))


# --- A client's service account -----------------------------------------------------------------


@pytest.fixture
def robot(realm):
    robot = make_client(realm, "robot", service_accounts_enabled=True)
    robot.create_service_account()
    return robot


@pytest.fixture
def victim(realm):
    victim = make_user(realm, "victim")
    victim.roles.add(make_role(realm, "reader"))
    return victim


def test_it_never_repoints_a_service_account_at_another_user(client, realm, robot, victim):
    http = _login(client, realm, *CLIENTS, "view_role")
    account = robot.service_account
    response = _post_change(http, Client, robot, service_account=victim.pk)
    assert response.status_code == 302
    robot.refresh_from_db()
    assert robot.service_account == account
    assert [role.name for role in victim.roles.all()] == ["reader"]


def test_it_refuses_a_client_admin_giving_a_service_account_realm_admin(
    client, realm, robot, victim
):
    http = _login(client, realm, *CLIENTS, "view_role")
    realm_admin = _admin_role(realm, rm.REALM_ADMIN)
    response = _post_change(
        http,
        Client,
        robot,
        service_account=victim.pk,
        service_account_roles=[realm_admin.pk],
        regenerate_secret=True,
    )
    assert response.status_code == 403
    robot.refresh_from_db()
    assert _held(robot.service_account) == set() and _held(victim) == set()
    assert [role.name for role in victim.roles.all()] == ["reader"]
    assert Client.objects.get(pk=robot.pk).client_secret == robot.client_secret


def test_it_lets_a_client_admin_give_a_service_account_what_they_hold(client, realm, robot):
    http = _login(client, realm, *CLIENTS, "view_role")
    granted = [make_role(realm, "orders:write").pk, _admin_role(realm, rm.VIEW_CLIENTS).pk]
    response = _post_change(http, Client, robot, service_account_roles=granted)
    assert response.status_code == 302
    assert set(robot.service_account.roles.values_list("pk", flat=True)) == set(granted)


def test_it_lets_a_superuser_make_a_service_account_realm_admin(console, realm, robot):
    realm_admin = _admin_role(realm, rm.REALM_ADMIN)
    response = _post_change(console, Client, robot, service_account_roles=[realm_admin.pk])
    assert response.status_code == 302
    assert _held(robot.service_account) == {rm.REALM_ADMIN}


# --- Grant: effective roles, before and after ---------------------------------------------------


@pytest.fixture
def admins(realm):
    group = make_group(realm, "admins")
    group.roles.add(_admin_role(realm, rm.REALM_ADMIN))
    return group


def test_it_refuses_a_user_admin_putting_a_user_in_a_group_that_carries_realm_admin(
    client, realm, admins
):
    http = _login(client, realm, *USERS)
    bob = make_user(realm, "bob")
    response = _post_change(http, User, bob, realm_groups=[admins.pk])
    assert response.status_code == 403
    assert not bob.realm_groups.exists()
    assert "changed successfully" not in http.get("/admin/").content.decode()


def test_it_refuses_a_user_admin_mapping_realm_admin_directly(client, realm):
    http = _login(client, realm, *USERS)
    bob = make_user(realm, "bob")
    response = _post_change(http, User, bob, roles=[_admin_role(realm, rm.REALM_ADMIN).pk])
    assert response.status_code == 403
    assert _held(bob) == set()


def test_it_lets_a_user_admin_hand_out_user_roles(client, realm):
    http = _login(client, realm, *USERS)
    bob = make_user(realm, "bob")
    granted = [_admin_role(realm, name).pk for name in (rm.MANAGE_USERS, rm.VIEW_USERS)]
    assert _post_change(http, User, bob, roles=granted).status_code == 302
    assert _held(bob) == {rm.MANAGE_USERS, rm.VIEW_USERS}


def test_it_refuses_a_group_admin_mapping_realm_admin_to_a_group_of_members(client, realm):
    http = _login(client, realm, *USERS, *GROUPS)
    staff = make_group(realm, "staff")
    bob = make_user(realm, "bob")
    bob.realm_groups.add(staff)
    response = _post_change(http, Group, staff, roles=[_admin_role(realm, rm.REALM_ADMIN).pk])
    assert response.status_code == 403
    assert _held(bob) == set()


def test_it_refuses_moving_a_group_under_one_that_carries_realm_admin(client, realm, admins):
    http = _login(client, realm, *USERS, *GROUPS)
    staff = make_group(realm, "staff")
    make_user(realm, "bob").realm_groups.add(staff)
    response = _post_change(http, Group, staff, parent=admins.pk)
    assert response.status_code == 403
    staff.refresh_from_db()
    assert staff.parent is None


def test_it_refuses_a_role_admin_deleting_realm_admin_from_its_holders(client, realm, admins):
    http = _login(client, realm, *ROLES)
    make_user(realm, "boss").realm_groups.add(admins)
    role = _admin_role(realm, rm.REALM_ADMIN)
    response = http.post(f"/admin/accounts/role/{role.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Role.objects.filter(pk=role.pk).exists()


def test_it_refuses_a_role_admin_renaming_a_held_role_into_an_admin_role(client, realm):
    http = _login(client, realm, *ROLES, *CLIENTS)
    management = Client.objects.get(realm=realm, client_id=rm.CLIENT_ID)
    _admin_role(realm, rm.MANAGE_USERS).delete()
    helper = make_role(realm, "helper")
    make_user(realm, "bob").roles.add(helper)
    response = _post_change(http, Role, helper, client=management.pk, name=rm.MANAGE_USERS)
    assert response.status_code == 403
    helper.refresh_from_db()
    assert (helper.client_id, helper.name) == (None, "helper")


def test_it_refuses_a_role_admin_putting_an_admin_role_into_a_held_composite(client, realm):
    http = _login(client, realm, *ROLES)
    helper = make_role(realm, "helper")
    make_user(realm, "bob").roles.add(helper)
    manage_users = _admin_role(realm, rm.MANAGE_USERS)
    response = _post_change(http, Role, helper, composites=[manage_users.pk])
    assert response.status_code == 403
    assert not helper.composites.exists()


def test_it_lets_a_superuser_make_a_composite_role_whose_holders_get_its_roles(console, realm):
    helper, reader = make_role(realm, "helper"), make_role(realm, "reader")
    bob = make_user(realm, "bob")
    bob.roles.add(helper)
    response = _post_change(console, Role, helper, composites=[reader.pk])
    assert response.status_code == 302
    assert {role.name for role in effective_roles(bob)} == {"helper", "reader"}
    itself = _post_change(console, Role, helper, composites=[helper.pk])
    assert itself.status_code == 200
    assert list(helper.composites.all()) == [reader]


def test_it_offers_only_the_realms_roles_as_composites(console, realm):
    helper = make_role(realm, "helper")
    stranger = make_role(make_realm("other"), "stranger")
    response = _post_change(console, Role, helper, composites=[stranger.pk])
    assert response.status_code == 200
    assert "composites" in response.context["adminform"].form.errors
    assert not helper.composites.exists()


# --- Take over: a stronger account, a stronger client's secret ----------------------------------


@pytest.fixture
def boss(realm, admins):
    boss = make_user(realm, "boss")
    boss.realm_groups.add(admins)
    return boss


def test_it_refuses_a_user_admin_setting_a_realm_admins_password(client, realm, boss):
    http = _login(client, realm, *USERS)
    url = _change(User, boss)
    page = http.get(url)
    assert page.status_code == 200
    assert 'name="new_password"' not in page.content.decode()  # shown read-only
    data = {"username": "boss", "new_password": "Taken-Over-42", "is_active": "on"}
    assert http.post(url, data).status_code == 403
    boss.refresh_from_db()
    assert check_password(PASSWORD, boss.password)


def test_it_refuses_a_user_admin_deleting_a_realm_admin(client, realm, boss):
    http = _login(client, realm, *USERS)
    response = http.post(f"/admin/accounts/user/{boss.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [boss.pk], "post": "yes"}
    http.post("/admin/accounts/user/", bulk)
    assert User.objects.filter(pk=boss.pk).exists()


def test_it_refuses_a_user_admin_unlocking_a_realm_admin_to_guess_on(client, realm, boss):
    """A lockout stops guessing at the password: lifting it is changing the user."""
    User.objects.filter(pk=boss.pk).update(failed_logins=30)
    weaker = make_user(realm, "bob", failed_logins=30)
    http = _login(client, realm, *USERS)
    unlock = {"action": "unlock_users", "_selected_action": [weaker.pk, boss.pk]}
    assert http.post("/admin/accounts/user/", unlock).status_code == 403
    assert set(User.objects.filter(realm=realm).values_list("failed_logins", flat=True)) == {30}
    unlock["_selected_action"] = [weaker.pk]
    assert http.post("/admin/accounts/user/", unlock).status_code == 302
    weaker.refresh_from_db()
    assert weaker.failed_logins == 0


def test_it_lets_a_user_admin_set_a_weaker_users_password(client, realm):
    http = _login(client, realm, *USERS)
    bob = make_user(realm, "bob")
    bob.roles.add(_admin_role(realm, rm.VIEW_USERS))
    assert _post_change(http, User, bob, new_password="Brand-New-Pass-42").status_code == 302
    bob.refresh_from_db()
    assert bob.check_password("Brand-New-Pass-42")


def test_it_refuses_a_client_admin_regenerating_a_realm_admin_clients_secret(client, realm, robot):
    robot.service_account.roles.add(_admin_role(realm, rm.REALM_ADMIN))
    http = _login(client, realm, *CLIENTS, "view_role")
    response = _post_change(http, Client, robot, regenerate_secret=True)
    assert response.status_code == 403
    assert Client.objects.get(pk=robot.pk).client_secret == robot.client_secret


def test_it_refuses_a_client_admin_registering_a_key_for_a_realm_admin_client(client, realm, robot):
    """A registered key signs the client in as its secret does (private_key_jwt)."""
    robot.service_account.roles.add(_admin_role(realm, rm.REALM_ADMIN))
    http = _login(client, realm, *CLIENTS, "view_role")
    keys = json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "x": "mallory", "y": "mallory"}]})
    attributes = json.dumps({"jwks.string": keys})
    assert _post_change(http, Client, robot, attributes=attributes).status_code == 403
    assert Client.objects.get(pk=robot.pk).attributes == {}


def test_it_refuses_a_client_admin_deleting_a_realm_admin_client(client, realm, robot):
    robot.service_account.roles.add(_admin_role(realm, rm.REALM_ADMIN))
    http = _login(client, realm, *CLIENTS, "view_role")
    response = http.post(f"/admin/authserver/client/{robot.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Client.objects.filter(pk=robot.pk).exists()


def test_it_lets_a_client_admin_regenerate_a_weaker_clients_secret(client, realm, robot):
    robot.service_account.roles.add(_admin_role(realm, rm.VIEW_CLIENTS))
    http = _login(client, realm, *CLIENTS, "view_role")
    assert _post_change(http, Client, robot, regenerate_secret=True).status_code == 302
    assert Client.objects.get(pk=robot.pk).client_secret != robot.client_secret


# --- The admin API's door: the realm-management client -----------------------------------------


def _management(realm) -> Client:
    return Client.objects.get(realm=realm, client_id=rm.CLIENT_ID)


@pytest.mark.parametrize(
    "change",
    [
        {"attributes": json.dumps({"admin.api.clients": "demo-web"})},
        {"client_id": "renamed"},
        {"enabled": False},
    ],
)
def test_it_refuses_a_client_admin_changing_the_realm_management_client(client, realm, change):
    """Its admin.api.clients names the clients whose tokens the admin API takes: a client
    admin opening it to the web app's tokens would reach the admin API with anyone's."""
    http = _login(client, realm, *CLIENTS)
    before = _management(realm)
    response = _post_change(http, Client, before, **change)
    assert response.status_code == 403
    after = Client.objects.get(pk=before.pk)
    assert (after.client_id, after.attributes, after.enabled) == (rm.CLIENT_ID, {}, True)


def test_it_refuses_a_client_admin_replacing_the_realm_management_client(client, realm):
    """Nobody holds an admin role in the realm, so deleting the client moves none: the door is
    what stops a new realm-management client with an attribute of the admin's choosing."""
    http = _login(client, realm, *CLIENTS, *ROLES)
    management = _management(realm)
    response = http.post(f"/admin/authserver/client/{management.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [management.pk], "post": "yes"}
    assert http.post("/admin/authserver/client/", bulk).status_code == 403
    assert Client.objects.filter(pk=management.pk).exists()


def test_it_refuses_a_client_admin_adding_a_redirect_uri_to_an_admin_client(client, realm):
    """admin-cli's tokens reach the admin API: a redirect URI of the client admin's own would
    bring them a realm administrator's code."""
    admin_cli = make_client(realm, "admin-cli", redirect_uris="https://admin.acme.example/cb")
    http = _login(client, realm, *CLIENTS)
    uris = "https://admin.acme.example/cb\nhttps://mallory.example/cb"
    assert _post_change(http, Client, admin_cli, redirect_uris=uris).status_code == 403
    assert Client.objects.get(pk=admin_cli.pk).redirect_uris == "https://admin.acme.example/cb"


def test_it_lets_a_superuser_choose_the_realms_admin_clients(console, realm):
    attributes = json.dumps({"admin.api.clients": "ops-console"})
    response = _post_change(console, Client, _management(realm), attributes=attributes)
    assert response.status_code == 302
    assert _management(realm).attributes == {"admin.api.clients": "ops-console"}


def test_it_lets_a_client_admin_change_other_clients(client, realm, robot):
    http = _login(client, realm, *CLIENTS)
    attributes = json.dumps({"token.exchange.audiences": "orders"})
    assert _post_change(http, Client, robot, attributes=attributes).status_code == 302
    assert Client.objects.get(pk=robot.pk).attributes == {"token.exchange.audiences": "orders"}


# --- Replace: a realm-file import ---------------------------------------------------------------


def _upload(http, document):
    upload = SimpleUploadedFile("realm.json", json.dumps(document).encode(), "application/json")
    return http.post("/admin/accounts/realm/import/", {"file": upload})


def _document(**user):
    return {
        "realm": "acme",
        "clients": [{"clientId": rm.CLIENT_ID, "standardFlowEnabled": False, "secret": "z" * 40}],
        "roles": {"client": {rm.CLIENT_ID: [{"name": rm.REALM_ADMIN}]}},
        "users": [
            {
                "username": "puppet",
                "credentials": [{"type": "password", "value": "Known-Pass-42"}],
                **user,
            }
        ],
    }


def test_it_refuses_a_realm_admin_importing_a_file_that_grants_realm_admin(client, realm):
    http = _login(client, realm, *EVERYTHING)
    document = _document(clientRoles={rm.CLIENT_ID: [rm.REALM_ADMIN]})
    assert _upload(http, document).status_code == 403
    assert not User.objects.filter(username="puppet").exists()


def test_it_refuses_replacing_a_realm_whose_accounts_are_stronger(client, realm, boss):
    http = _login(client, realm, *EVERYTHING)
    assert _upload(http, _document()).status_code == 403
    assert Realm.objects.get(name="acme").pk == realm.pk


@pytest.mark.parametrize("missing", [USERS, CLIENTS])
def test_it_refuses_replacing_a_realm_without_the_right_to_change_its_users_and_clients(
    client, realm, missing
):
    """Nobody holds an admin role here, yet the file sets every user's password and every
    client's secret: realm settings alone do not give that."""
    bob = make_user(realm, "bob")
    http = _login(client, realm, *(name for name in EVERYTHING if name not in missing))
    document = _document()
    document["users"].append(
        {"username": "bob", "credentials": [{"type": "password", "value": "Known-Pass-42"}]}
    )
    assert _upload(http, document).status_code == 403
    assert Realm.objects.get(name="acme").pk == realm.pk
    bob.refresh_from_db()
    assert check_password(PASSWORD, bob.password)


def test_it_refuses_an_import_that_changes_the_realms_admin_clients(client, realm):
    http = _login(client, realm, *EVERYTHING)
    document = _document()
    document["clients"][0]["attributes"] = {"admin.api.clients": "demo-web"}
    assert _upload(http, document).status_code == 403
    assert _management(realm).attributes == {}


def test_it_refuses_an_import_that_redirects_an_admin_client(client, realm):
    admin_cli = make_client(realm, "admin-cli", redirect_uris="https://admin.acme.example/cb")
    http = _login(client, realm, *EVERYTHING)
    document = export_realm(realm)
    (exported,) = [entry for entry in document["clients"] if entry["clientId"] == "admin-cli"]
    exported["redirectUris"].append("https://mallory.example/cb")
    assert _upload(http, document).status_code == 403
    assert Client.objects.get(pk=admin_cli.pk).redirect_uris == "https://admin.acme.example/cb"


def test_it_lets_a_realm_admin_import_its_realm_back_unchanged(client, realm):
    make_client(realm, "admin-cli", redirect_uris="https://admin.acme.example/cb")
    make_user(realm, "bob")
    http = _login(client, realm, *EVERYTHING)
    preview = _upload(http, export_realm(realm))
    assert preview.status_code == 200
    done = http.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert done.status_code == 302
    assert Client.objects.get(realm__name="acme", client_id="admin-cli").redirect_uris == (
        "https://admin.acme.example/cb"
    )


def test_it_lets_a_realm_admin_import_a_file_without_admin_roles(client, realm):
    http = _login(client, realm, *EVERYTHING)
    preview = _upload(http, _document())
    assert preview.status_code == 200
    done = http.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert done.status_code == 302
    assert User.objects.filter(realm__name="acme", username="puppet").exists()


def test_it_lets_a_superuser_import_a_file_that_grants_realm_admin(console, realm):
    preview = _upload(console, _document(clientRoles={rm.CLIENT_ID: [rm.REALM_ADMIN]}))
    done = console.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert done.status_code == 302
    assert _held(User.objects.get(username="puppet")) == {rm.REALM_ADMIN}


# --- Export: every credential hash of the realm -------------------------------------------------


def _export(http, realm):
    return http.get(f"/admin/accounts/realm/{realm.pk}/export/")


@pytest.mark.parametrize("granted", [["view_realm"], [*REALMS, "view_user", "view_client"]])
def test_it_refuses_a_viewer_the_realms_password_hashes(client, realm, granted):
    """A cracked hash is an account taken over: the file goes only to whoever may replace it."""
    make_user(realm, "bob")
    response = _export(_login(client, realm, *granted), realm)
    assert response.status_code == 403
    assert b"hashedValue" not in response.content


def test_it_refuses_the_realm_file_to_whoever_may_not_take_over_its_administrators(
    client, realm, boss
):
    response = _export(_login(client, realm, *EVERYTHING), realm)
    assert response.status_code == 403
    assert b"hashedValue" not in response.content


def test_it_exports_the_realm_file_to_whoever_may_replace_it(client, realm):
    make_user(realm, "bob")
    response = _export(_login(client, realm, *EVERYTHING), realm)
    assert response.status_code == 200
    assert b"hashedValue" in response.content


# --- Console rights: the superusers' --------------------------------------------------------------


def test_it_refuses_a_console_user_raising_their_own_groups_permissions(client, realm):
    """A Django group's permissions are its members' admin roles in their realms: editing them
    is handing out console rights, which only a superuser does."""
    ops = AuthGroup.objects.create(name="ops")
    http = _login(client, realm, "change_group", "view_group", "add_group", "view_permission")
    operator = User.objects.get(username="operator")
    operator.groups.add(ops)
    wanted = Permission.objects.filter(
        codename__in=[*USERS, *CLIENTS], content_type__app_label__in=["accounts", "authserver"]
    )
    page = f"/admin/auth/group/{ops.pk}/change/"
    assert http.get(page).status_code == 403
    body = {"name": "ops", "permissions": [p.pk for p in wanted]}
    assert http.post(page, body).status_code == 403
    assert http.post("/admin/auth/group/add/", {**body, "name": "more"}).status_code == 403
    assert not ops.permissions.exists()
    assert not AuthGroup.objects.filter(name="more").exists()


def test_it_refuses_a_console_user_a_superusers_second_factor_device(client, realm, root):
    device = console_otp.create(root, name="phone")
    http = _login(
        client,
        realm,
        "add_consoletotpdevice",
        "change_consoletotpdevice",
        "delete_consoletotpdevice",
        "view_consoletotpdevice",
    )
    assert http.get("/admin/accounts/consoletotpdevice/").status_code == 403
    page = f"/admin/accounts/consoletotpdevice/{device.pk}/change/"
    assert http.post(page, {"name": "mine"}).status_code == 403
    assert (
        http.post(
            f"/admin/accounts/consoletotpdevice/{device.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert http.post("/admin/accounts/consoletotpdevice/add/", {"user": root.pk}).status_code == 403
    device.refresh_from_db()
    assert device.name == "phone" and ConsoleTOTPDevice.objects.count() == 1


def test_it_lets_a_superuser_manage_console_groups(console):
    response = console.post("/admin/auth/group/add/", {"name": "ops"})
    assert response.status_code == 302
    assert AuthGroup.objects.filter(name="ops").exists()


# --- Composite roles: holding one is holding what it contains ------------------------------------


def test_it_refuses_a_user_admin_mapping_a_role_that_contains_realm_admin(client, realm):
    helper = make_role(realm, "helper")
    helper.composites.add(_admin_role(realm, rm.REALM_ADMIN))
    http = _login(client, realm, *USERS)
    bob = make_user(realm, "bob")
    response = _post_change(http, User, bob, roles=[helper.pk])
    assert response.status_code == 403
    assert _held(bob) == set()


def test_it_refuses_a_realm_admin_importing_a_file_whose_composite_carries_realm_admin(
    client, realm
):
    http = _login(client, realm, *REALMS)
    document = _document(realmRoles=["helper"])
    document["roles"]["realm"] = [
        {
            "name": "helper",
            "composite": True,
            "composites": {"client": {rm.CLIENT_ID: [rm.REALM_ADMIN]}},
        }
    ]
    assert _upload(http, document).status_code == 403
    assert not User.objects.filter(username="puppet").exists()


def test_it_counts_a_composite_role_as_the_admin_roles_it_contains(console, realm):
    # A nested composite: boss contains helper, which contains manage-users.
    preview = _upload(
        console,
        _document(realmRoles=["boss"])
        | {
            "roles": {
                "realm": [
                    {"name": "boss", "composite": True, "composites": {"realm": ["helper"]}},
                    {
                        "name": "helper",
                        "composite": True,
                        "composites": {"client": {rm.CLIENT_ID: [rm.MANAGE_USERS]}},
                    },
                ]
            }
        },
    )
    done = console.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert done.status_code == 302
    assert _held(User.objects.get(username="puppet")) == {rm.MANAGE_USERS}
