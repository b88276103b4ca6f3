"""GET /admin/realms and GET/PUT /admin/realms/{realm}."""

import pytest

from accounts.models import Event, Realm
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, superuser_token, url
from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def test_it_lists_the_realms_the_caller_administers(client, realm, other_realm):
    assert [
        r["realm"]
        for r in call(client, "GET", "/admin/realms", admin_token(realm, rm.VIEW_USERS)).json()
    ] == ["acme"]
    # Without an admin role a token is not meant for the admin API at all.
    assert call(client, "GET", "/admin/realms", admin_token(realm)).status_code == 401
    everything = call(client, "GET", "/admin/realms", superuser_token()).json()
    assert {"acme", "charlie", "master"} <= {r["realm"] for r in everything}


def test_it_updates_the_settings(client, realm):
    token = admin_token(realm, rm.MANAGE_REALM)
    body = {"displayName": "Acme Corp", "accessTokenLifespan": 120, "passwordPolicy": "length(10)"}
    assert call(client, "PUT", url(realm), token, body).status_code == 204
    realm.refresh_from_db()
    assert (realm.display_name, realm.access_token_lifespan) == ("Acme Corp", 120)
    assert realm.password_policy == "length(10)"
    shown = call(client, "GET", url(realm), token).json()
    assert shown["id"] == shown["realm"] == "acme" and shown["displayName"] == "Acme Corp"
    event = Event.objects.get()
    assert (event.type, event.resource_type) == ("UPDATE", "REALM")
    assert event.before["displayName"] == "" and event.after["displayName"] == "Acme Corp"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"passwordPolicy": "sorcery(3)"}, "passwordPolicy"),
        ({"defaultSignatureAlgorithm": "HS256"}, "defaultSignatureAlgorithm"),
        ({"accessTokenLifespan": -1}, "accessTokenLifespan"),
        ({"realm": "renamed"}, "realm"),
        ({"users": []}, "users"),
    ],
)
def test_it_names_the_bad_field(client, realm, body, field):
    response = call(client, "PUT", url(realm), admin_token(realm, rm.MANAGE_REALM), body)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Event.objects.exists()


def test_it_never_disables_the_master_realm(client):
    master = Realm.objects.filter(name="master").first() or make_realm("master")
    response = call(client, "PUT", url(master), superuser_token(), {"enabled": False})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["enabled"]


def test_it_lets_a_superuser_manage_a_disabled_realm(client):
    dormant = make_realm("dormant", enabled=False)
    token = superuser_token()
    assert call(client, "GET", url(dormant), token).status_code == 200
    assert call(client, "PUT", url(dormant), token, {"enabled": True}).status_code == 204


def test_it_answers_404_for_an_unknown_realm_and_another_realm(client, realm, other_realm):
    token = admin_token(realm, rm.REALM_ADMIN)
    assert call(client, "GET", url(other_realm), token).status_code == 404
    assert call(client, "GET", "/admin/realms/nowhere", token).status_code == 404
    assert call(client, "GET", "/admin/realms/nowhere", superuser_token()).status_code == 404


def test_it_does_not_let_a_master_admin_who_is_no_superuser_into_other_realms(client, realm):
    master = Realm.objects.filter(name="master").first() or make_realm("master")
    token = admin_token(master, rm.REALM_ADMIN)
    assert call(client, "GET", url(realm), token).status_code == 404
    assert call(client, "GET", url(master), token).status_code == 200
