"""Front- and back-channel logout in dynamic registration (Front-Channel Logout 1.0 §2,
Back-Channel Logout 1.0 §2.2): registered, answered back, read and replaced; kept as Keycloak's
client attributes, so a registered client is told of logouts as any other."""

import pytest

from authserver.models import Client
from tests.factories import make_realm
from tests.registration.helpers import (
    WEB,
    configuration,
    initial_token,
    open_registration,
    register,
)

pytestmark = pytest.mark.django_db

FRONT = "https://rp.example/frontchannel-logout?app=1"
BACK = "https://rp-backend.example/backchannel-logout"


@pytest.fixture
def realm(db):
    realm = make_realm("acme")
    open_registration(realm)
    return realm


def test_it_registers_front_and_back_channel_logout(client, realm):
    body = WEB | {
        "frontchannel_logout_uri": FRONT,
        "frontchannel_logout_session_required": True,
        "backchannel_logout_uri": BACK,
        "backchannel_logout_session_required": False,
    }

    response = register(client, realm, body, initial_token(realm))

    assert response.status_code == 201, response.content
    registered = response.json()
    assert registered["frontchannel_logout_uri"] == FRONT
    assert registered["frontchannel_logout_session_required"] is True
    assert registered["backchannel_logout_uri"] == BACK
    assert registered["backchannel_logout_session_required"] is False
    stored = Client.objects.get(realm=realm, client_id=registered["client_id"])
    assert stored.frontchannel_logout and stored.frontchannel_logout_url == FRONT
    assert stored.frontchannel_logout_session_required
    assert stored.backchannel_logout_url == BACK
    assert not stored.backchannel_logout_session_required
    read = configuration(
        client,
        "GET",
        registered["registration_client_uri"],
        registered["registration_access_token"],
    )
    assert read.json()["frontchannel_logout_uri"] == FRONT
    assert read.json()["backchannel_logout_uri"] == BACK


def test_it_says_the_session_is_sent_when_the_client_did_not_say(client, realm):
    body = WEB | {"frontchannel_logout_uri": FRONT, "backchannel_logout_uri": BACK}

    registered = register(client, realm, body, initial_token(realm)).json()

    assert registered["frontchannel_logout_session_required"] is True
    assert registered["backchannel_logout_session_required"] is True


def test_it_answers_no_logout_metadata_for_a_client_without(client, realm):
    registered = register(client, realm, WEB, initial_token(realm)).json()

    assert not {
        "frontchannel_logout_uri",
        "frontchannel_logout_session_required",
        "backchannel_logout_uri",
        "backchannel_logout_session_required",
    } & set(registered)


def test_a_replacement_drops_what_it_leaves_out(client, realm):
    body = WEB | {"frontchannel_logout_uri": FRONT, "backchannel_logout_uri": BACK}
    registered = register(client, realm, body, initial_token(realm)).json()

    replaced = configuration(
        client,
        "PUT",
        registered["registration_client_uri"],
        registered["registration_access_token"],
        WEB | {"client_id": registered["client_id"], "backchannel_logout_uri": BACK},
    )

    assert replaced.status_code == 200, replaced.content
    assert "frontchannel_logout_uri" not in replaced.json()
    stored = Client.objects.get(realm=realm, client_id=registered["client_id"])
    assert stored.frontchannel_logout_url == "" and stored.backchannel_logout_url == BACK


@pytest.mark.parametrize(
    "change",
    [
        {"frontchannel_logout_uri": "https://elsewhere.example/logout"},
        {"frontchannel_logout_uri": "https://rp.example:8443/logout"},
        {"frontchannel_logout_uri": "http://rp.example/logout"},
        {"frontchannel_logout_uri": "https://rp.example/logout#top"},
        {"frontchannel_logout_uri": "javascript:alert(1)"},
        {"frontchannel_logout_uri": "/logout"},
        {"frontchannel_logout_uri": 7},
        {"backchannel_logout_uri": "https://rp.example/logout#top"},
        {"backchannel_logout_uri": "ftp://rp.example/logout"},
        {"backchannel_logout_uri": "rp.example/logout"},
        {"backchannel_logout_session_required": "yes"},
        {"frontchannel_logout_session_required": 1},
    ],
)
def test_it_refuses_logout_metadata_it_cannot_honour(client, realm, change):
    response = register(client, realm, WEB | change, initial_token(realm))

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Client.objects.filter(realm=realm).exclude(client_id="realm-management").exists()


def test_it_keeps_logout_uris_to_the_trusted_hosts(client, realm):
    open_registration(realm, trusted_hosts="rp.example")
    token = initial_token(realm)
    assert register(client, realm, WEB | {"backchannel_logout_uri": BACK}, token).json() == {
        "error": "invalid_client_metadata",
        "error_description": f"{BACK} is not at a host this realm trusts",
    }
    near = WEB | {"backchannel_logout_uri": "https://rp.example/backchannel-logout"}
    assert register(client, realm, near, token).status_code == 201
