"""/admin/realms/{realm}/clients: Keycloak's representation, secrets told once, field errors."""

import pytest

from accounts.models import Event, User
from authserver import client_secrets
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from tests import pki
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_client, make_scope
from tests.protocol.helpers import basic, endpoint, post_form

pytestmark = pytest.mark.django_db

WEB = {
    "clientId": "web",
    "name": "Web",
    "redirectUris": ["https://web.example/cb"],
    "webOrigins": ["https://web.example"],
    "defaultClientScopes": ["openid", "profile"],
    "optionalClientScopes": ["orders:read"],
    "attributes": {"pkce.code.challenge.method": "S256", "login_theme": "acme"},
}


@pytest.fixture
def manager(realm):
    make_scope(realm, "orders:read", audience="orders")
    return admin_token(realm, rm.MANAGE_CLIENTS)


def token_response(http, realm, client_id, secret):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )


def test_it_creates_a_client_and_tells_its_generated_secret_once(client, realm, manager):
    response = call(client, "POST", url(realm, "clients"), manager, WEB)
    assert response.status_code == 201, response.content
    assert response["Location"] == "/admin/realms/acme/clients/web"
    body = response.json()
    assert body["id"] == body["clientId"] == "web"
    assert body["defaultClientScopes"] == ["openid", "profile"]
    assert body["attributes"] == {"login_theme": "acme", "pkce.code.challenge.method": "S256"}
    secret = body["secret"]
    stored = Client.objects.get(realm=realm, client_id="web")
    assert stored.client_secret != secret  # hashed
    shown = call(client, "GET", url(realm, "clients", "web"), manager).json()
    assert "secret" not in shown and "hashedSecret" not in shown
    assert {key: shown[key] for key in WEB} == WEB | {"attributes": body["attributes"]}


def test_it_makes_a_service_account_whose_secret_works(client, realm, manager):
    body = {"clientId": "machine", "standardFlowEnabled": False, "serviceAccountsEnabled": True}
    secret = call(client, "POST", url(realm, "clients"), manager, body).json()["secret"]
    assert token_response(client, realm, "machine", secret).status_code == 200
    assert User.objects.filter(realm=realm, username="service-account-machine").exists()


@pytest.mark.parametrize(
    "weak",
    [
        "secret",
        "demo-web-secret",
        "Password-Password-Password-123456",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "s3cret-" + "x" * 40,
    ],
)
def test_it_refuses_a_weak_client_secret(client, realm, manager, weak):
    created = call(client, "POST", url(realm, "clients"), manager, {**WEB, "secret": weak})
    assert created.status_code == 400
    assert created["Content-Type"] == "application/json"
    error = created.json()
    assert error["error"] == "invalid_request"
    assert error["error_description"].startswith("secret: is too weak")
    assert list(error["fields"]) == ["secret"]
    assert not Client.objects.filter(realm=realm, client_id="web").exists()

    call(client, "POST", url(realm, "clients"), manager, WEB)
    hashed = Client.objects.get(realm=realm, client_id="web").client_secret
    updated = call(client, "PUT", url(realm, "clients", "web"), manager, {"secret": weak})
    assert updated.status_code == 400
    assert updated.json()["fields"] == error["fields"]
    assert Client.objects.get(realm=realm, client_id="web").client_secret == hashed


@pytest.mark.parametrize(
    "strong",
    [
        "tZ3-pQ9vLk2_Wm7xRb4YcN8sJd6HfA1e",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_it_takes_a_random_client_secret_of_128_bits(client, realm, manager, strong):
    body = {"clientId": "machine", "standardFlowEnabled": False, "serviceAccountsEnabled": True}
    created = call(client, "POST", url(realm, "clients"), manager, {**body, "secret": strong})
    assert created.status_code == 201, created.content
    assert token_response(client, realm, "machine", strong).status_code == 200


def test_its_generated_secrets_are_strong(client, realm, manager):
    body = {"clientId": "machine", "standardFlowEnabled": False, "serviceAccountsEnabled": True}
    generated = call(client, "POST", url(realm, "clients"), manager, body).json()["secret"]
    regenerated = call(client, "POST", url(realm, "clients", "machine", "client-secret"), manager)
    for secret in (generated, regenerated.json()["value"]):
        assert client_secrets.weakness(secret) is None
        assert client_secrets.bits(secret) >= 128


def test_it_regenerates_the_secret(client, realm, manager):
    make_client(realm, "machine", service_accounts_enabled=True, standard_flow_enabled=False)
    response = call(client, "POST", url(realm, "clients", "machine", "client-secret"), manager)
    assert response.status_code == 200
    assert response.json()["type"] == "secret"
    new = response.json()["value"]
    stored = Client.objects.get(client_id="machine")
    from django.contrib.auth.hashers import check_password

    assert check_password(new, stored.client_secret)
    event = Event.objects.get(type="ACTION")
    assert event.resource_path == "clients/machine/client-secret"
    assert new not in str(event.before) + str(event.after)


def test_it_updates_only_the_fields_given_and_keeps_the_secret(client, realm, manager):
    secret = call(client, "POST", url(realm, "clients"), manager, WEB).json()["secret"]
    hashed = Client.objects.get(client_id="web").client_secret
    response = call(client, "PUT", url(realm, "clients", "web"), manager, {"name": "Renamed"})
    assert response.status_code == 204
    stored = Client.objects.get(client_id="web")
    assert stored.name == "Renamed"
    assert stored.redirect_uris == "https://web.example/cb"
    assert stored.client_secret == hashed
    assert secret
    event = Event.objects.get(type="UPDATE")
    assert event.before["name"] == "Web" and event.after["name"] == "Renamed"
    assert event.resource_type == "CLIENT" and event.resource_path == "clients/web"


def test_it_deletes_a_client(client, realm, manager):
    make_client(realm, "web")
    response = call(client, "DELETE", url(realm, "clients", "web"), manager)
    assert response.status_code == 204
    assert not Client.objects.filter(client_id="web").exists()
    event = Event.objects.get(type="DELETE")
    assert event.before["clientId"] == "web" and event.after is None
    assert event.username and event.realm == realm


def test_it_lists_clients_by_client_id(client, realm, manager):
    make_client(realm, "web")
    listed = call(client, "GET", url(realm, "clients") + "?clientId=web", manager).json()
    assert [entry["id"] for entry in listed] == ["web"]
    everything = call(client, "GET", url(realm, "clients"), manager).json()
    assert rm.CLIENT_ID in [entry["clientId"] for entry in everything]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"redirectUris": ["https://ok.example/cb", "not a uri"]}, "redirectUris[1]"),
        ({"redirectUris": ["https://app.example/*"]}, "redirectUris[0]"),
        ({"defaultClientScopes": ["ghost"]}, "defaultClientScopes[0]"),
        ({"enabled": "yes"}, "enabled"),
        ({"clientId": ""}, "clientId"),
        ({"clientId": "a/b"}, "clientId"),
        (
            {"attributes": {"pkce.code.challenge.method": "plain"}},
            'attributes["pkce.code.challenge.method"]',
        ),
        ({"publicClient": True, "serviceAccountsEnabled": True}, "serviceAccountsEnabled"),
        ({"redirectUris": []}, "redirectUris"),
        (
            {"clientAuthenticatorType": "client-x509", "attributes": {"x509.subjectdn": "(CN"}},
            'attributes["x509.subjectdn"]',
        ),
        (
            {"attributes": {"tls.client.certificate.bound.access.tokens": "on"}},
            'attributes["tls.client.certificate.bound.access.tokens"]',
        ),
    ],
)
def test_it_names_the_bad_field(client, realm, manager, change, field):
    response = call(client, "POST", url(realm, "clients"), manager, WEB | change)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_request"
    assert list(body["fields"]) == [field]
    assert not Client.objects.filter(client_id="web").exists()
    assert not Event.objects.exists()


def test_it_refuses_a_duplicate_client_id_with_409(client, realm, manager):
    make_client(realm, "web")
    response = call(client, "POST", url(realm, "clients"), manager, WEB)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


def test_it_keeps_the_realm_management_client_built_in(client, realm, manager):
    for method in ("PUT", "DELETE"):
        response = call(client, method, url(realm, "clients", rm.CLIENT_ID), manager, {})
        assert response.status_code == 400, (method, response.content)
    assert Client.objects.filter(realm=realm, client_id=rm.CLIENT_ID).exists()


def test_it_answers_404_for_a_client_of_another_realm(client, realm, other_realm, manager):
    make_client(other_realm, "charlies-client")
    for method in ("GET", "PUT", "DELETE"):
        response = call(client, method, url(realm, "clients", "charlies-client"), manager, {})
        assert response.status_code == 404, method
    assert Client.objects.filter(client_id="charlies-client").exists()


def test_it_lets_a_viewer_read_but_not_change(client, realm):
    viewer = admin_token(realm, rm.VIEW_CLIENTS)
    assert call(client, "GET", url(realm, "clients"), viewer).status_code == 200
    response = call(client, "POST", url(realm, "clients"), viewer, WEB)
    assert response.status_code == 403
    assert not Client.objects.filter(client_id="web").exists()


def test_it_merges_attributes_one_by_one(client, realm, manager):
    call(client, "POST", url(realm, "clients"), manager, WEB)
    body = {"attributes": {"login_theme": None, "display.on.consent.screen": "true"}}
    assert call(client, "PUT", url(realm, "clients", "web"), manager, body).status_code == 204
    shown = call(client, "GET", url(realm, "clients", "web"), manager).json()
    assert shown["attributes"] == {
        "display.on.consent.screen": "true",
        "pkce.code.challenge.method": "S256",
    }


def test_it_refuses_any_origin_which_only_a_realm_file_brings(client, realm, manager):
    response = call(client, "POST", url(realm, "clients"), manager, WEB | {"webOrigins": ["*"]})
    assert response.status_code == 400
    assert "webOrigins[0]" in response.json()["fields"]
    assert not Client.objects.filter(realm=realm, client_id="web").exists()


def test_it_makes_a_client_require_dpop_through_keycloaks_attribute(client, realm, manager):
    body = {"clientId": "machine", "standardFlowEnabled": False, "serviceAccountsEnabled": True}
    secret = call(client, "POST", url(realm, "clients"), manager, body).json()["secret"]
    change = {"attributes": {"dpop.bound.access.tokens": "true"}}

    assert call(client, "PUT", url(realm, "clients", "machine"), manager, change).status_code == 204

    shown = call(client, "GET", url(realm, "clients", "machine"), manager).json()
    assert shown["attributes"]["dpop.bound.access.tokens"] == "true"
    refused = token_response(client, realm, "machine", secret)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_dpop_proof"


def test_it_keeps_a_certificate_clients_settings(client, realm, manager, mtls, client_ca):
    """Keycloak's representation of an X.509 client with bound tokens (RFC 8705), as the
    console's page for it sets it too."""
    body = {
        "clientId": "machine",
        "standardFlowEnabled": False,
        "serviceAccountsEnabled": True,
        "clientAuthenticatorType": "client-x509",
        "attributes": {
            "x509.subjectdn": "CN=machine,O=Example",
            "x509.allow.regex.pattern.comparison": "false",
            "tls.client.certificate.bound.access.tokens": "true",
        },
    }
    created = call(client, "POST", url(realm, "clients"), manager, body)
    assert created.status_code == 201, created.content
    shown = call(client, "GET", url(realm, "clients", "machine"), manager).json()
    assert shown["clientAuthenticatorType"] == "client-x509"
    assert shown["attributes"] == body["attributes"]
    cert = client_ca.issue(pki.name("machine", organization="Example"))
    token = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", "client_id": "machine"},
        **cert.forwarded,
    )
    assert token.status_code == 200, token.content


def test_it_sets_front_and_back_channel_logout_as_keycloak_does(client, realm, manager):
    call(client, "POST", url(realm, "clients"), manager, WEB)
    logout = {
        "frontchannel.logout.url": "https://web.example/frontchannel-logout",
        "backchannel.logout.url": "https://web.example/backchannel-logout",
        "backchannel.logout.session.required": "false",
    }
    body = {"frontchannelLogout": True, "attributes": logout}

    assert call(client, "PUT", url(realm, "clients", "web"), manager, body).status_code == 204

    shown = call(client, "GET", url(realm, "clients", "web"), manager).json()
    assert shown["frontchannelLogout"] is True
    assert shown["attributes"] == WEB["attributes"] | logout
    stored = Client.objects.get(realm=realm, client_id="web")
    assert stored.frontchannel_logout_url == logout["frontchannel.logout.url"]
    assert not stored.backchannel_logout_session_required
    off = {"frontchannelLogout": False, "attributes": {"backchannel.logout.url": None}}
    assert call(client, "PUT", url(realm, "clients", "web"), manager, off).status_code == 204
    stored.refresh_from_db()
    assert stored.frontchannel_logout_url == "" and stored.backchannel_logout_url == ""


@pytest.mark.parametrize("attribute", ["frontchannel.logout.url", "backchannel.logout.url"])
def test_it_names_a_bad_logout_url(client, realm, manager, attribute):
    body = WEB | {"attributes": {attribute: "https://web.example/logout#fragment"}}

    response = call(client, "POST", url(realm, "clients"), manager, body)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [f'attributes["{attribute}"]']
    assert not Client.objects.filter(realm=realm, client_id="web").exists()
