"""Every realm has its realm-management client and admin roles; realm files still round-trip."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Role
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from authserver.realmfile import reader
from authserver.realmfile.exporter import export_realm
from authserver.realmfile.importer import import_realm
from tests.factories import make_realm, make_user
from tests.realmfile.documents import quick_demo

pytestmark = pytest.mark.django_db


def _admin_roles(realm) -> set[str]:
    return set(
        Role.objects.filter(realm=realm, client__client_id=rm.CLIENT_ID).values_list(
            "name", flat=True
        )
    )


def test_it_comes_with_every_new_realm():
    realm = make_realm()
    client = Client.objects.get(realm=realm, client_id=rm.CLIENT_ID)
    assert not client.standard_flow_enabled and not client.service_accounts_enabled
    assert not client.is_public
    assert _admin_roles(realm) == set(rm.ROLES)


def test_the_command_restores_it():
    realm = make_realm()
    Client.objects.filter(realm=realm, client_id=rm.CLIENT_ID).delete()
    call_command("create_realm_management", realm.name, stdout=io.StringIO())
    assert _admin_roles(realm) == set(rm.ROLES)


def test_a_realm_file_round_trips_with_it():
    realm = make_realm("acme")
    user = make_user(realm, "boss")
    user.roles.add(*Role.objects.filter(client__realm=realm, name=rm.REALM_ADMIN))
    exported = export_realm(realm)
    assert rm.CLIENT_ID in [client["clientId"] for client in exported["clients"]]
    realm.delete()
    again = import_realm(reader.read(exported).realm)
    assert export_realm(again) == exported
    assert Client.objects.filter(realm=again, client_id=rm.CLIENT_ID).count() == 1


def test_a_file_without_it_gets_the_built_in_one():
    document = quick_demo()
    document["clients"] = [c for c in document["clients"] if c["clientId"] != rm.CLIENT_ID]
    document["roles"]["client"].pop(rm.CLIENT_ID, None)
    for user in document["users"]:
        user.get("clientRoles", {}).pop(rm.CLIENT_ID, None)
    realm = import_realm(reader.read(document).realm)
    assert _admin_roles(realm) == set(rm.ROLES)


def test_the_files_settings_win_and_every_admin_role_stays():
    # As in Keycloak, whose realm-management always has its built-in roles.
    document = quick_demo()
    document["clients"] = [c for c in document["clients"] if c["clientId"] != rm.CLIENT_ID]
    document["clients"].append(
        {
            "clientId": rm.CLIENT_ID,
            "name": "From the file",
            "secret": "file-secret-" + "f" * 30,
            "standardFlowEnabled": False,
        }
    )
    document["roles"]["client"][rm.CLIENT_ID] = [{"name": rm.REALM_ADMIN}]
    realm = import_realm(reader.read(document).realm)
    client = Client.objects.get(realm=realm, client_id=rm.CLIENT_ID)
    assert client.name == "From the file"
    assert _admin_roles(realm) == set(rm.ROLES)
