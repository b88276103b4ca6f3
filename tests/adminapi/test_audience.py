"""The admin API takes only tokens meant for it: ``realm-management`` in ``aud``, issued to a
client the realm lets call it (its admin clients, or a service account holding the roles)."""

import pytest

from accounts.models import MASTER_REALM, Realm
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from authserver.realmfile.exporter import export_realm
from tests.adminapi.helpers import admin_roles, call, superuser_token, token_for, url
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    authorize_and_get_code,
    basic,
    endpoint,
    exchange_code,
    make_machine_client,
    make_web_client,
    post_form,
    scope_with_audience,
    verify,
)
from tests.protocol.issued import grant_scopes, service_token
from tests.realmfile.documents import load

pytestmark = pytest.mark.django_db

NEW_CLIENT = {"clientId": "reports", "redirectUris": ["https://reports.example/cb"]}


def refused(response, description: str) -> None:
    assert response.status_code == 401, response.content
    assert response.json() == {"error": "invalid_token", "error_description": description}
    assert response["WWW-Authenticate"] == 'Bearer realm="admin", error="invalid_token"'
    assert response["Cache-Control"] == "no-store"
    assert not Client.objects.filter(client_id="reports").exists()


def realm_admin(realm, username="alice"):
    user = make_user(realm, username)
    user.roles.add(*admin_roles(realm, rm.REALM_ADMIN))
    return user


def test_it_refuses_a_token_minted_for_another_audience(client, realm):
    """A token of the admin client for the order service (``aud`` ``orders``), minted before
    its user became realm-admin: the roles are hers now, the token is still not for us."""
    alice = make_user(realm, "alice")
    scope_with_audience(realm, "orders:write", "orders")
    token = token_for(alice, scopes=("orders:write",))
    assert verify(client, realm, token)["aud"] == ["orders"]
    alice.roles.add(*admin_roles(realm, rm.REALM_ADMIN))

    response = call(client, "POST", url(realm, "clients"), token, NEW_CLIENT)

    refused(response, "the access token is not meant for the admin API")


def test_it_refuses_the_token_a_web_app_sent_to_the_order_service(client, realm):
    """alice is realm-admin, so her token carries ``realm-management`` beside ``orders``; but
    it was issued to the web app, which the realm does not let call the admin API."""
    alice = realm_admin(realm)
    scope_with_audience(realm, "orders:write", "orders")
    token = token_for(alice, client_id="demo-web", scopes=("orders:write",))
    claims = verify(client, realm, token)
    assert claims["aud"] == ["orders", "realm-management"]
    assert claims["azp"] == "demo-web"

    response = call(client, "POST", url(realm, "clients"), token, NEW_CLIENT)

    refused(response, "the access token's client may not call the admin API")


def test_it_accepts_a_token_of_the_realms_admin_client(client, realm):
    token = token_for(realm_admin(realm))
    claims = verify(client, realm, token, typ="at+jwt")
    assert claims["aud"] == ["realm-management"]
    assert claims["azp"] == "admin-cli"

    response = call(client, "POST", url(realm, "clients"), token, NEW_CLIENT)

    assert response.status_code == 201, response.content
    assert Client.objects.filter(realm=realm, client_id="reports").exists()


def test_it_refuses_a_token_of_a_user_without_admin_roles(client, realm):
    token = token_for(make_user(realm, "bob"))
    assert verify(client, realm, token)["aud"] == ["admin-cli"]
    refused(
        call(client, "GET", url(realm, "clients"), token),
        "the access token is not meant for the admin API",
    )


def test_it_accepts_a_service_accounts_own_client_credentials_token(client, realm):
    machine = make_machine_client(realm, "provisioner")
    machine.service_account.roles.add(*admin_roles(realm, rm.MANAGE_CLIENTS))
    token = service_token(client, realm, "provisioner")
    claims = verify(client, realm, token)
    assert claims["aud"] == ["realm-management"]
    assert claims["jti"].startswith("cc:")  # stateless: same audience rule

    response = call(client, "POST", url(realm, "clients"), token, NEW_CLIENT)

    assert response.status_code == 201, response.content


def test_it_refuses_a_client_credentials_token_meant_for_another_service(client, realm):
    """A machine whose service account holds no admin role gets a token for its scopes'
    audience; once given a role, that token still does not reach the admin API."""
    machine = make_machine_client(realm, "batch")
    scope_with_audience(realm, "orders:write", "orders")
    grant_scopes(machine, "orders:write")
    token = service_token(client, realm, "batch")
    assert verify(client, realm, token)["aud"] == ["orders"]
    machine.service_account.roles.add(*admin_roles(realm, rm.REALM_ADMIN))

    response = call(client, "POST", url(realm, "clients"), token, NEW_CLIENT)

    refused(response, "the access token is not meant for the admin API")


def test_it_lets_the_realm_choose_its_admin_clients(client, realm):
    management = Client.objects.get(realm=realm, client_id=rm.CLIENT_ID)
    management.attributes = {"admin.api.clients": "ops-console"}
    management.save()
    alice = realm_admin(realm)

    chosen = token_for(alice, client_id="ops-console")
    assert call(client, "GET", url(realm, "clients"), chosen).status_code == 200
    default = token_for(alice)
    refused(
        call(client, "GET", url(realm, "clients"), default),
        "the access token's client may not call the admin API",
    )


def test_it_keeps_each_realms_choice_to_itself(client, realm, other_realm):
    management = Client.objects.get(realm=other_realm, client_id=rm.CLIENT_ID)
    management.attributes = {"admin.api.clients": "demo-web"}
    management.save()

    token = token_for(realm_admin(realm), client_id="demo-web")

    refused(
        call(client, "GET", url(realm, "clients"), token),
        "the access token's client may not call the admin API",
    )


def test_it_gives_a_superuser_of_master_the_admin_api_audience(client, realm):
    token = superuser_token()
    master = Realm.objects.get(name=MASTER_REALM)
    assert "realm-management" in verify(client, master, token)["aud"]
    assert call(client, "POST", url(realm, "clients"), token, NEW_CLIENT).status_code == 201


def test_it_reads_the_realms_admin_clients_from_its_realm_file(client):
    """The setting travels with the realm: exported, imported, and obeyed."""
    source = make_realm("source", default_signature_algorithm="ES256")
    management = Client.objects.get(realm=source, client_id=rm.CLIENT_ID)
    management.attributes = {"admin.api.clients": "ops-console"}
    management.save()
    document = export_realm(source)
    document["realm"] = "imported"
    exported = {c["clientId"]: c for c in document["clients"]}
    assert exported[rm.CLIENT_ID]["attributes"] == {"admin.api.clients": "ops-console"}

    realm = load(document)
    alice = realm_admin(realm)

    assert (
        call(client, "GET", url(realm, "clients"), token_for(alice, "ops-console")).status_code
        == 200
    )
    refused(
        call(client, "GET", url(realm, "clients"), token_for(alice)),
        "the access token's client may not call the admin API",
    )


def _code_flow_tokens(http, realm, user) -> dict:
    """alice's tokens from admin-cli's own code flow: access, refresh and ID token."""
    make_web_client(realm, "admin-cli", public=True, scopes=("openid",))
    code = authorize_and_get_code(http, realm, user, "admin-cli", scope="openid")
    response = exchange_code(http, realm, code, client_id="admin-cli", secret=None)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("kind", ["id_token", "refresh_token"])
def test_it_takes_no_other_token_of_the_admin_client_than_its_access_token(client, realm, kind):
    tokens = _code_flow_tokens(client, realm, realm_admin(realm))
    assert call(client, "GET", url(realm, "clients"), tokens["access_token"]).status_code == 200

    response = call(client, "POST", url(realm, "clients"), tokens[kind], NEW_CLIENT)

    refused(response, "the access token is not valid")


def test_it_refuses_an_exchanged_token_even_for_the_admin_api_audience(client, realm):
    """A client allowed to exchange tokens for realm-management gets one of alice's: its
    client is not an admin client, and the token does not speak for its service account."""
    tokens = _code_flow_tokens(client, realm, realm_admin(realm))
    gateway = make_machine_client(
        realm,
        "gateway",
        attributes={
            "token.exchange.audiences": rm.CLIENT_ID,
            "token.exchange.subject.audiences": rm.CLIENT_ID,
            "token.exchange.scopes": "admin=openid",
        },
    )
    gateway.default_client_scopes.add(scope_with_audience(realm, "admin", rm.CLIENT_ID))
    gateway.service_account.roles.add(*admin_roles(realm, rm.VIEW_CLIENTS))
    response = post_form(
        client,
        endpoint(realm, "token"),
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": tokens["access_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "audience": rm.CLIENT_ID,
        },
        HTTP_AUTHORIZATION=basic("gateway", SECRET),
    )
    assert response.status_code == 200, response.content
    exchanged = response.json()["access_token"]
    assert verify(client, realm, exchanged)["aud"] == [rm.CLIENT_ID]

    response = call(client, "POST", url(realm, "clients"), exchanged, NEW_CLIENT)

    refused(response, "the access token's client may not call the admin API")
