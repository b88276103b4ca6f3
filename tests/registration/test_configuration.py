"""RFC 7592 at the registration client URI: the registration access token reads, replaces and
deletes its own client only, and is replaced at every use, as Keycloak replaces it."""

import pytest

from authserver.models import Client
from tests.factories import make_realm
from tests.protocol.helpers import endpoint as protocol_endpoint
from tests.protocol.helpers import post_form
from tests.registration.helpers import (
    MACHINE,
    WEB,
    configuration,
    initial_token,
    open_registration,
    register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def realm(db):
    realm = make_realm("acme")
    open_registration(realm)
    return realm


@pytest.fixture
def registered(client, realm):
    return register(client, realm, WEB, initial_token(realm)).json()


def test_it_reads_the_client_and_replaces_the_token(client, registered):
    uri, token = registered["registration_client_uri"], registered["registration_access_token"]
    response = configuration(client, "GET", uri, token)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["client_id"] == registered["client_id"]
    assert body["redirect_uris"] == WEB["redirect_uris"]
    assert body["client_name"] == WEB["client_name"]
    assert "client_secret" not in body  # kept hashed: it cannot be read back
    assert body["registration_access_token"] != token
    assert configuration(client, "GET", uri, token).status_code == 401
    assert configuration(client, "GET", uri, body["registration_access_token"]).status_code == 200


def test_it_replaces_the_metadata(client, registered):
    uri, token = registered["registration_client_uri"], registered["registration_access_token"]
    change = WEB | {"client_id": registered["client_id"], "redirect_uris": ["https://rp.example/2"]}
    response = configuration(client, "PUT", uri, token, change)
    assert response.status_code == 200, response.content
    assert response.json()["redirect_uris"] == ["https://rp.example/2"]
    stored = Client.objects.get(client_id=registered["client_id"])
    assert stored.redirect_uris == "https://rp.example/2"


def test_it_keeps_the_secret_across_a_replacement(client, realm):
    registered = register(client, realm, MACHINE, initial_token(realm)).json()
    uri, token = registered["registration_client_uri"], registered["registration_access_token"]
    change = MACHINE | {"client_id": registered["client_id"], "client_name": "Renamed"}
    assert configuration(client, "PUT", uri, token, change).status_code == 200
    tokens = post_form(
        client,
        protocol_endpoint(realm, "token"),
        {
            "grant_type": "client_credentials",
            "client_id": registered["client_id"],
            "client_secret": registered["client_secret"],
        },
    )
    assert tokens.status_code == 200, tokens.content


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "someone-else"},
        {"client_secret": "not-the-secret"},
        {"registration_access_token": "x"},
        {"redirect_uris": ["https://rp.example/*"]},
    ],
)
def test_it_refuses_a_bad_replacement_and_changes_nothing(client, registered, change):
    uri, token = registered["registration_client_uri"], registered["registration_access_token"]
    body = WEB | {"client_id": registered["client_id"]} | change
    response = configuration(client, "PUT", uri, token, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri")
    stored = Client.objects.get(client_id=registered["client_id"])
    assert stored.redirect_uris == WEB["redirect_uris"][0]
    # A refused replacement keeps the token as it was.
    assert configuration(client, "GET", uri, token).status_code == 200


def test_it_deletes_the_client(client, registered):
    uri, token = registered["registration_client_uri"], registered["registration_access_token"]
    response = configuration(client, "DELETE", uri, token)
    assert response.status_code == 204
    assert not Client.objects.filter(client_id=registered["client_id"]).exists()
    assert configuration(client, "GET", uri, token).status_code == 401


def test_a_token_opens_only_its_own_client(client, realm, registered):
    other = register(client, realm, WEB, initial_token(realm)).json()
    response = configuration(
        client, "GET", other["registration_client_uri"], registered["registration_access_token"]
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert (
        configuration(client, "DELETE", other["registration_client_uri"], None).status_code == 401
    )
    assert Client.objects.filter(client_id=other["client_id"]).exists()


def test_a_token_opens_nothing_in_another_realm(client, realm, registered):
    other = make_realm("other")
    uri = f"/realms/{other.name}/clients-registrations/openid-connect/{registered['client_id']}"
    response = configuration(client, "GET", uri, registered["registration_access_token"])
    assert response.status_code == 401


def test_it_answers_only_get_put_and_delete(client, registered):
    uri, token = registered["registration_client_uri"], registered["registration_access_token"]
    assert configuration(client, "POST", uri, token, {}).status_code == 405
