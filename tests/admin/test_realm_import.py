"""Import: upload, preview of what changes, confirm; export: a download of the realm file."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Event, Realm, User
from authserver.models import Client
from tests import hashers
from tests.factories import make_client, make_realm, make_role, make_user

pytestmark = pytest.mark.django_db


def _file(document) -> SimpleUploadedFile:
    return SimpleUploadedFile("realm.json", json.dumps(document).encode(), "application/json")


DOCUMENT = {
    "realm": "shop",
    "roles": {"realm": [{"name": "viewer"}, {"name": "buyer"}]},
    "clients": [
        {
            "clientId": "web",
            "secret": "web-secret-" + "x" * 30,
            "redirectUris": ["https://shop.example/cb"],
        }
    ],
    "users": [{"username": "alice", "realmRoles": ["viewer"]}, {"username": "bob"}],
}


def _counts(response) -> dict:
    return {c.kind: (c.added, c.replaced, c.removed) for c in response.context["preview"].changes}


def test_it_previews_a_new_realm_then_imports_it_on_confirmation(console):
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(DOCUMENT)})
    assert preview.status_code == 200
    counts = _counts(preview)
    assert counts["users"] == (2, 0, 0)
    assert counts["roles"] == (2, 0, 0)
    assert counts["clients"][0] == 1
    assert not Realm.objects.filter(name="shop").exists()
    assert "web-secret" not in preview.content.decode()

    token = preview.context["token"]
    done = console.post("/admin/accounts/realm/import/", {"confirm": token})
    assert done.status_code == 302
    realm = Realm.objects.get(name="shop")
    assert set(realm.users.values_list("username", flat=True)) >= {"alice", "bob"}
    event = Event.objects.get(category="admin", type="ACTION", resource_type="REALM")
    assert event.after["action"] == "import"
    assert "web-secret" not in json.dumps(event.after)


def test_it_previews_what_replacing_a_realm_changes(console):
    realm = make_realm("shop")
    make_user(realm, "alice")
    make_user(realm, "carol")
    make_role(realm, "viewer")
    make_client(realm, "legacy")
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(DOCUMENT)})
    counts = _counts(preview)
    assert counts["users"] == (1, 1, 1)  # bob added, alice replaced, carol removed
    assert counts["roles"][:2] == (1, 1)
    assert counts["clients"][0] == 1 and counts["clients"][2] >= 1
    assert "replaces it" in preview.content.decode()
    assert User.objects.filter(realm=realm, username="carol").exists()


def test_it_audits_what_the_import_changed_against_the_realm_before_it(console):
    realm = make_realm("shop")
    make_user(realm, "alice")
    make_user(realm, "carol")
    token = console.post("/admin/accounts/realm/import/", {"file": _file(DOCUMENT)}).context[
        "token"
    ]

    assert console.post("/admin/accounts/realm/import/", {"confirm": token}).status_code == 302

    event = Event.objects.get(category="admin", type="ACTION", resource_type="REALM")
    users = next(change for change in event.after["changes"] if change["kind"] == "users")
    assert (users["added"], users["replaced"], users["removed"]) == (1, 1, 1)
    assert event.after["replaced"] is True


def test_it_shows_a_bad_file_with_its_path_and_imports_nothing(console):
    bad = {**DOCUMENT, "users": [{"username": "alice", "realmRoles": ["nope"]}]}
    response = console.post("/admin/accounts/realm/import/", {"file": _file(bad)})
    assert response.status_code == 200
    assert "users[0]" in response.content.decode()
    assert not Realm.objects.filter(name="shop").exists()


def test_it_refuses_a_stale_confirmation(console):
    response = console.post("/admin/accounts/realm/import/", {"confirm": "made-up"})
    assert response.status_code == 302
    assert not Realm.objects.filter(name="shop").exists()


def test_it_keeps_a_realms_administrators_across_a_replacement(console, root):
    realm = make_realm("shop")
    admin = make_user(None, "charlie", is_staff=True)
    admin.administered_realms.add(realm)
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(DOCUMENT)})
    console.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert list(admin.administered_realms.values_list("name", flat=True)) == ["shop"]


def test_it_exports_a_realm_without_secrets(console):
    realm = make_realm("shop")
    make_client(realm, "web", secret="plain-secret-" + "y" * 30)
    response = console.get(f"/admin/accounts/realm/{realm.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="shop-realm.json"'
    document = json.loads(response.content)
    assert document["realm"] == "shop"
    assert "plain-secret" not in response.content.decode()
    assert Client.objects.filter(realm=realm, client_id="web").exists()


def test_it_refuses_a_file_with_a_password_hash_that_costs_too_much_to_verify(console):
    document = json.loads(json.dumps(DOCUMENT))
    document["users"][1]["credentials"] = [hashers.COSTLY_KEYCLOAK_CREDENTIAL]
    response = console.post("/admin/accounts/realm/import/", {"file": _file(document)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "users[1].credentials[0].credentialData: hashIterations costs more to verify" in page
    assert "100000000 iterations" in page
    assert not Realm.objects.filter(name="shop").exists()
