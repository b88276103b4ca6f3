"""POST /admin/realms and DELETE /admin/realms/{realm}: a superuser of the master realm's alone,
as in Keycloak; and GET .../client-secret, which says the secret cannot be read back."""

import pytest

from accounts.models import MASTER_REALM, Event, Realm, User
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from tests.adminapi.helpers import admin_token, call, superuser_token, url
from tests.factories import make_client, make_realm

pytestmark = pytest.mark.django_db

FILE = {
    "realm": "shop",
    "enabled": True,
    "roles": {"realm": [{"name": "buyer"}]},
    "users": [{"username": "alice", "enabled": True, "realmRoles": ["buyer"]}],
}


def test_it_lets_a_master_superuser_create_and_delete_a_realm(client):
    token = superuser_token()
    created = call(client, "POST", "/admin/realms", token, FILE)
    assert created.status_code == 201, created.content
    assert created["Location"] == "/admin/realms/shop"
    shop = Realm.objects.get(name="shop")
    assert User.objects.get(realm=shop, username="alice").roles.get().name == "buyer"
    # Every realm gets realm-management on creation, as in Keycloak.
    assert Client.objects.filter(realm=shop, client_id=rm.CLIENT_ID).exists()
    assert call(client, "POST", "/admin/realms", token, FILE).status_code == 409
    assert call(client, "DELETE", "/admin/realms/shop", token).status_code == 204
    assert not Realm.objects.filter(name="shop").exists()
    assert list(Event.objects.order_by("id").values_list("type", "resource_path")) == [
        ("CREATE", "realms/shop"),
        ("DELETE", "realms/shop"),
    ]
    assert call(client, "DELETE", f"/admin/realms/{MASTER_REALM}", token).status_code == 400


def test_it_refuses_a_realm_admin_creating_or_deleting_a_realm(client, realm):
    boss = admin_token(realm, rm.REALM_ADMIN)
    assert call(client, "POST", "/admin/realms", boss, FILE).status_code == 403
    assert call(client, "DELETE", url(realm), boss).status_code == 403
    assert Realm.objects.filter(name="acme").exists()
    assert not Realm.objects.filter(name="shop").exists()


def test_it_names_the_bad_field_of_a_realm_file(client):
    answer = call(client, "POST", "/admin/realms", superuser_token(), {"realm": "a b"})
    assert answer.status_code == 400
    assert "realm" in answer.json()["fields"]


def test_it_says_a_client_secret_cannot_be_read_back(client, realm):
    make_client(realm, "web")
    token = admin_token(realm, rm.VIEW_CLIENTS)
    answer = call(client, "GET", url(realm, "clients", "web", "client-secret"), token)
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "secret"
    assert body["value"] is None
    assert body["retrievable"] is False
    assert "hashed" in body["description"]
    other = make_realm("charlie", default_signature_algorithm="ES256")
    theirs = admin_token(other, rm.REALM_ADMIN)
    path = url(realm, "clients", "web", "client-secret")
    assert call(client, "GET", path, theirs).status_code == 404
