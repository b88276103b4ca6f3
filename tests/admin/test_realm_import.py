"""Import: upload, preview of what changes, confirm; export: a download of the realm file."""

import base64
import json
from datetime import timedelta

import pytest
import redis
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

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


PLAIN_PASSWORD = "Alice-Plain-Password-71"
PLAIN_SECRET = "plain-client-secret-" + "Zq8" * 12
WITH_CREDENTIALS = {
    "realm": "shop",
    "clients": [
        {
            "clientId": "preview-probe",
            "secret": PLAIN_SECRET,
            "standardFlowEnabled": False,
            "serviceAccountsEnabled": True,
        }
    ],
    "users": [
        {
            "username": "alice",
            "credentials": [{"type": "password", "value": PLAIN_PASSWORD}],
        }
    ],
}


def _stored_anywhere() -> str:
    """Every session (decoded), every value of the cache (Redis) and every row of every model,
    as one text."""
    parts = [json.dumps(session.get_decoded()) for session in Session.objects.all()]
    if settings.REDIS_URL:
        store = redis.Redis.from_url(settings.REDIS_URL)
        for key in store.scan_iter():
            kind = store.type(key)
            if kind == b"string":
                parts.append(repr(store.get(key)))
            elif kind == b"hash":
                parts.append(repr(store.hgetall(key)))
            else:
                parts.append(repr(store.dump(key)))
    for model in apps.get_models(include_auto_created=True):
        parts.append(repr(list(model._default_manager.values_list())))
    return "\n".join(parts)


def _token_with(secret: str, client):
    basic = base64.b64encode(f"preview-probe:{secret}".encode()).decode()
    return client.post(
        "/realms/shop/protocol/openid-connect/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def test_it_keeps_no_plaintext_credential_between_the_preview_and_the_confirmation(console):
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(WITH_CREDENTIALS)})
    assert preview.status_code == 200
    stored = _stored_anywhere()
    assert PLAIN_PASSWORD not in stored
    assert PLAIN_SECRET not in stored

    done = console.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert done.status_code == 302
    stored = _stored_anywhere()
    assert PLAIN_PASSWORD not in stored and PLAIN_SECRET not in stored
    # What was hashed for the preview is what the realm now checks.
    answer = _token_with(PLAIN_SECRET, console)
    assert answer.status_code == 200, answer.content
    login = console.post("/realms/shop/login", {"username": "alice", "password": PLAIN_PASSWORD})
    assert login.status_code == 302


def test_it_warns_about_weak_client_secrets_and_imports_them_all_the_same(console):
    document = {
        **WITH_CREDENTIALS,
        "clients": [{**WITH_CREDENTIALS["clients"][0], "secret": "kiwi"}],
    }
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(document)})
    assert preview.context["weak_secrets"] == (
        "clients[0].secret is too weak: 4 characters of this kind carry about 18 bits, and a "
        "client secret needs 128 (for example 32 random letters and digits); leave it out to "
        "have one generated",
    )
    assert "Weak client secrets" in preview.content.decode()
    done = console.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert done.status_code == 302
    assert _token_with("kiwi", console).status_code == 200


def test_it_imports_a_confirmed_preview_once(console):
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(DOCUMENT)})
    token = preview.context["token"]
    assert console.post("/admin/accounts/realm/import/", {"confirm": token}).status_code == 302
    Realm.objects.get(name="shop").delete()

    again = console.post("/admin/accounts/realm/import/", {"confirm": token}, follow=True)
    assert "expired" in again.content.decode()
    assert not Realm.objects.filter(name="shop").exists()


def test_it_drops_the_preview_on_cancel(console):
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(WITH_CREDENTIALS)})
    token = preview.context["token"]
    assert 'name="cancel"' in preview.content.decode()
    cancelled = console.post(
        "/admin/accounts/realm/import/", {"confirm": token, "cancel": "Cancel"}, follow=True
    )
    assert "Nothing was imported" in cancelled.content.decode()
    assert "preview-probe" not in _stored_anywhere()

    late = console.post("/admin/accounts/realm/import/", {"confirm": token}, follow=True)
    assert "expired" in late.content.decode()
    assert not Realm.objects.filter(name="shop").exists()


def test_it_drops_a_preview_left_unconfirmed_for_ten_minutes(console):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        preview = console.post("/admin/accounts/realm/import/", {"file": _file(WITH_CREDENTIALS)})
        token = preview.context["token"]
        traveller.shift(timedelta(minutes=10, seconds=1))
        late = console.post("/admin/accounts/realm/import/", {"confirm": token}, follow=True)
    assert "expired" in late.content.decode()
    assert not Realm.objects.filter(name="shop").exists()
    assert "preview-probe" not in _stored_anywhere()


def test_it_confirms_only_the_operators_own_preview(console, client):
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(DOCUMENT)})
    other = User.objects.create_superuser("other", "Other-Password-1")
    client.force_login(other)
    stolen = client.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert stolen.status_code == 302
    assert not Realm.objects.filter(name="shop").exists()


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


def test_it_shows_a_new_secret_once_for_a_client_whose_secret_was_masked(console):
    # Keycloak's partial export masks every client secret.
    document = {
        **DOCUMENT,
        "clients": [
            {
                "clientId": "preview-probe",
                "secret": "**********",
                "standardFlowEnabled": False,
                "serviceAccountsEnabled": True,
            }
        ],
        "users": [
            {"username": "service-account-preview-probe", "serviceAccountClientId": "preview-probe"}
        ],
    }
    preview = console.post("/admin/accounts/realm/import/", {"file": _file(document)})
    assert preview.context["new_secrets"] == ["preview-probe"]
    done = console.post("/admin/accounts/realm/import/", {"confirm": preview.context["token"]})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    ((label, secret),) = done.context["new_secrets"]
    assert label == 'clients[0] "preview-probe"'
    assert f'<code class="new-secret">{secret}</code>' in done.content.decode()
    assert secret not in _stored_anywhere()
    answer = _token_with(secret, console)
    assert answer.status_code == 200, answer.content
