"""Dynamic registration, administered through the admin API: Keycloak's initial access tokens
(clients-initial-access) and the realm's registration policy (client-registration-policy)."""

import pytest

from authserver.adminapi import realm_management as rm
from authserver.registration.models import InitialAccessToken
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_scope
from tests.registration.helpers import MACHINE, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(realm):
    return admin_token(realm, rm.MANAGE_CLIENTS)


def test_it_issues_an_initial_access_token_shown_once(client, realm, manager):
    path = url(realm, "clients-initial-access")
    policy = call(
        client, "PUT", url(realm, "client-registration-policy"), manager, {"enabled": True}
    )
    assert policy.status_code == 204
    created = call(client, "POST", path, manager, {"count": 2, "expiration": 600})
    assert created.status_code == 200, created.content
    body = created.json()
    assert (body["count"], body["remainingCount"], body["expiration"]) == (2, 2, 600)
    assert register(client, realm, MACHINE, body["token"]).status_code == 201
    listed = call(client, "GET", path, manager).json()
    assert [(item["id"], item["remainingCount"]) for item in listed] == [(body["id"], 1)]
    assert "token" not in listed[0]
    assert body["token"] not in InitialAccessToken.objects.get().token_hash
    assert call(client, "DELETE", f"{path}/{body['id']}", manager).status_code == 204
    assert register(client, realm, MACHINE, body["token"]).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"count": 0},
        {"count": "2"},
        {"expiration": -1},
        {"expiration": 10**9},
        {"count": True},
    ],
)
def test_it_refuses_a_bad_initial_access_request(client, realm, manager, body):
    response = call(client, "POST", url(realm, "clients-initial-access"), manager, body)
    assert response.status_code == 400
    assert not InitialAccessToken.objects.exists()


@pytest.mark.parametrize("token_id", ["999", "abc", "9" * 40])
def test_it_answers_404_for_an_unknown_initial_access_token(client, realm, manager, token_id):
    path = url(realm, "clients-initial-access", token_id)
    assert call(client, "DELETE", path, manager).status_code == 404


def test_it_changes_the_registration_policy(client, realm, manager):
    make_scope(realm, "orders:read")
    path = url(realm, "client-registration-policy")
    assert call(client, "GET", path, manager).json() == {
        "enabled": False,
        "trustedHosts": [],
        "allowedClientScopes": [],
        "maxClients": 200,
    }
    change = {"enabled": True, "trustedHosts": ["rp.example"], "allowedClientScopes": ["openid"]}
    assert call(client, "PUT", path, manager, change | {"maxClients": 3}).status_code == 204
    assert call(client, "GET", path, manager).json() == change | {"maxClients": 3}
    discovery = client.get(f"/realms/{realm.name}/.well-known/openid-configuration").json()
    assert "registration_endpoint" in discovery


@pytest.mark.parametrize(
    "body",
    [
        {"enabled": "yes"},
        {"trustedHosts": "rp.example"},
        {"trustedHosts": ["two hosts"]},
        {"allowedClientScopes": ["nowhere"]},
        {"maxClients": -1},
    ],
)
def test_it_refuses_a_bad_policy(client, realm, manager, body):
    path = url(realm, "client-registration-policy")
    response = call(client, "PUT", path, manager, body)
    assert response.status_code == 400, response.content
    assert call(client, "GET", path, manager).json()["enabled"] is False
