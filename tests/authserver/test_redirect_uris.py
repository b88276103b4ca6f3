"""Native apps' redirect URIs (RFC 8252 §7) registered through the console, the admin API and a
realm file, then used at the authorization and logout endpoints."""

from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import User
from authserver.adminapi import realm_management as rm
from authserver.models import Client
from authserver.realmfile.errors import RealmFileError
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    authorize_params,
    authorize_url,
    endpoint,
    login,
    make_web_client,
)
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db

NATIVE = ["com.example.app:/oauth2redirect", "app://callback", "http://127.0.0.1/callback"]
REFUSED = [
    "javascript:alert(1)",
    "data:text/html,hi",
    "file:///etc/passwd",
    "com.example.app:/cb#fragment",
    "com.example.app:",
    "com.example.app:///cb",
]


def assert_code_sent_to(response, redirect_uri: str) -> None:
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    assert location.startswith(redirect_uri + "?"), location
    assert parse_qs(urlsplit(location).query)["code"]


def authorize(http, realm, redirect_uri, client_id="app"):
    url_ = authorize_url(realm, **authorize_params(client_id, redirect_uri=redirect_uri))
    return http.get(url_)


def signed_in(http, realm):
    user = make_user(realm)
    assert login(http, realm, user.username).status_code == 302
    return user


def assert_native_redirects_work(http, realm, client_id="app"):
    """Each native redirect URI receives the code; the loopback one on any port."""
    signed_in(http, realm)
    assert_code_sent_to(authorize(http, realm, NATIVE[0], client_id), NATIVE[0])
    assert_code_sent_to(authorize(http, realm, NATIVE[1], client_id), NATIVE[1])
    loopback = "http://127.0.0.1:49152/callback"
    assert_code_sent_to(authorize(http, realm, loopback, client_id), loopback)


# --- the console ------------------------------------------------------------------------------
@pytest.fixture
def console(client):
    client.force_login(User.objects.create_superuser("root", "Root-Password-1"))
    return client


def console_form(realm, redirect_uris: list[str], **fields) -> dict:
    return {
        "realm": realm.pk,
        "client_id": "app",
        "name": "Native app",
        "enabled": "on",
        "client_type": "public",
        "standard_flow_enabled": "on",
        "pkce_method": "S256",
        "redirect_uris": "\n".join(redirect_uris),
        "attributes": "{}",
        **fields,
    }


def test_the_console_registers_a_native_apps_redirect_uris(console):
    realm = make_realm()
    response = console.post(
        "/admin/authserver/client/add/",
        console_form(realm, NATIVE, post_logout_redirect_uris="com.example.app:/signed-out"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Client.objects.get(realm=realm, client_id="app").redirect_uris == " ".join(NATIVE)
    console.logout()
    assert_native_redirects_work(console, realm)


@pytest.mark.parametrize("uri", REFUSED)
def test_the_console_refuses_what_no_app_can_receive(console, uri):
    realm = make_realm()
    response = console.post("/admin/authserver/client/add/", console_form(realm, [uri]))
    assert response.status_code == 200
    assert "redirect_uris" in response.context["adminform"].form.errors
    assert not Client.objects.filter(realm=realm, client_id="app").exists()


# --- the admin API ----------------------------------------------------------------------------
def api_client(redirect_uris: list[str]) -> dict:
    return {"clientId": "app", "publicClient": True, "redirectUris": redirect_uris}


def test_the_admin_api_registers_a_native_apps_redirect_uris(client):
    realm = make_realm("acme", default_signature_algorithm="ES256")
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    response = call(client, "POST", url(realm, "clients"), token, api_client(NATIVE))
    assert response.status_code == 201, response.content
    assert response.json()["redirectUris"] == NATIVE
    assert_native_redirects_work(client, realm)


@pytest.mark.parametrize("uri", REFUSED)
def test_the_admin_api_refuses_what_no_app_can_receive(client, uri):
    realm = make_realm("acme", default_signature_algorithm="ES256")
    token = admin_token(realm, rm.MANAGE_CLIENTS)
    response = call(client, "POST", url(realm, "clients"), token, api_client([uri]))
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["redirectUris[0]"]
    assert not Client.objects.filter(realm=realm, client_id="app").exists()


# --- a realm file -----------------------------------------------------------------------------
def native_realm_file(redirect_uris: list[str]) -> dict:
    document = small("native")
    document["clients"][0]["redirectUris"] = redirect_uris
    document["clients"][0]["attributes"] = {
        "post.logout.redirect.uris": "com.example.app:/signed-out"
    }
    return document


def test_a_realm_file_registers_a_native_apps_redirect_uris(client):
    realm = load(native_realm_file(NATIVE))
    assert_native_redirects_work(client, realm)


@pytest.mark.parametrize("uri", REFUSED)
def test_a_realm_file_refuses_what_no_app_can_receive(uri):
    with pytest.raises(RealmFileError) as refused:
        load(native_realm_file([uri]))
    assert str(refused.value).startswith("clients[0].redirectUris[0]: ")
    assert not Client.objects.filter(client_id="app", realm__name="native").exists()


# --- what the native app's URIs then allow ----------------------------------------------------
@pytest.mark.parametrize(
    "requested",
    [
        "com.example.app:/oauth2redirect/other",
        "com.example.app:/oauth2redirect?x=1",
        "com.example.app://oauth2redirect",
        "com.evil.app:/oauth2redirect",
        "app://callback:5000",
        "app://other",
    ],
)
def test_a_private_use_uri_matches_exactly(client, requested):
    realm = make_realm()
    make_web_client(realm, public=True, redirect_uris=" ".join(NATIVE))
    signed_in(client, realm)
    response = authorize(client, realm, requested)
    assert response.status_code == 400
    assert "Location" not in response


def test_a_claimed_https_uri_matches_exactly(client):
    realm = make_realm()
    make_web_client(realm, public=True, redirect_uris="https://app.example/native/callback")
    signed_in(client, realm)
    assert_code_sent_to(
        authorize(client, realm, "https://app.example/native/callback"),
        "https://app.example/native/callback",
    )
    assert authorize(client, realm, "https://app.example:8443/native/callback").status_code == 400


def test_logout_returns_the_browser_to_a_private_use_uri(client):
    realm = load(native_realm_file(NATIVE))
    signed_in(client, realm)
    response = client.get(
        endpoint(realm, "logout"),
        {
            "client_id": "app",
            "post_logout_redirect_uri": "com.example.app:/signed-out",
            "state": "s-1",
        },
    )
    if response.status_code == 200:  # the confirmation form, without an id_token_hint
        response = client.post(
            endpoint(realm, "logout"),
            {
                "client_id": "app",
                "post_logout_redirect_uri": "com.example.app:/signed-out",
                "state": "s-1",
                "confirm": "yes",
            },
        )
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == "com.example.app:/signed-out?state=s-1"
