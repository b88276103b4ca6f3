"""GET /realms/NAME/account as keycloak-js's loadUserProfile calls it: JSON in Keycloak's
shape for a token meant for the ``account`` audience; the account console's page otherwise."""

import pytest

from tests.factories import make_realm, make_scope, make_user
from tests.protocol.helpers import make_web_client, tokens_for

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example"


def profile(http, realm, token, **headers):
    return http.get(
        f"/realms/{realm.name}/account",
        HTTP_ACCEPT="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


def token_of(http, realm, user, *, account_audience: bool) -> str:
    client = make_web_client(realm, scopes=["openid"], allowed_origins=ORIGIN)
    if account_audience:
        client.default_client_scopes.add(make_scope(realm, "account-audience", audience="account"))
    return tokens_for(http, realm, user, scope="openid")["access_token"]


def test_it_answers_keycloaks_profile_for_an_account_token(client):
    realm = make_realm()
    user = make_user(
        realm, "alice", email="alice@example.com", email_verified=True, first_name="Alice"
    )
    token = token_of(client, realm, user, account_audience=True)
    response = profile(client, realm, token, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response.json() == {
        "id": str(user.subject),
        "username": "alice",
        "email": "alice@example.com",
        "firstName": "Alice",
        "lastName": "",
        "emailVerified": True,
        "attributes": {},
    }


def test_it_refuses_a_token_meant_for_another_audience(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    token = token_of(client, realm, user, account_audience=False)
    response = profile(client, realm, token)
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_it_refuses_a_bad_token_and_another_realms_token(client):
    realm, other = make_realm("one"), make_realm("two")
    token = token_of(client, other, make_user(other, "carol"), account_audience=True)
    for bad in ("nonsense", token):
        response = profile(client, realm, bad)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_it_answers_the_preflight_of_the_clients_origin(client):
    realm = make_realm()
    make_web_client(realm, allowed_origins=ORIGIN)
    response = client.options(
        f"/realms/{realm.name}/account",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_a_browser_without_a_token_gets_the_page(client):
    realm = make_realm()
    response = client.get(f"/realms/{realm.name}/account", HTTP_ACCEPT="application/json")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/realms/{realm.name}/login")
