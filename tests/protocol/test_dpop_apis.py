"""DPoP-bound tokens at our other resources (RFC 9449 §7.1): the account API and the admin API
take a bound token with the DPoP scheme and a proof of its key, never as a bearer token."""

import pytest
from django.conf import settings

from authserver.adminapi import realm_management as rm
from authserver.protocol import dpop
from tests.adminapi.helpers import admin_roles
from tests.factories import PASSWORD, make_realm, make_scope, make_user
from tests.protocol.dpop_keys import DPoPKey, url
from tests.protocol.helpers import endpoint, make_web_client, post_form

pytestmark = pytest.mark.django_db


def bound_token(http, realm, user, key, client_id="app", attributes=None) -> str:
    """A token of ``user`` from the password grant of a public client, bound to ``key``."""
    attributes = {"direct.access.grants.enabled": "true", **(attributes or {})}
    app = make_web_client(realm, client_id, public=True, scopes=("openid",), attributes=attributes)
    app.default_client_scopes.add(make_scope(realm, "account-audience", audience="account"))
    form = {"grant_type": "password", "client_id": client_id, "username": user.username}
    form["password"] = PASSWORD
    response = post_form(
        http, endpoint(realm, "token"), form, HTTP_DPOP=key.proof(url(realm, "token"))
    )
    if response.status_code == 400 and response.json()["error"] == "use_dpop_nonce":
        proof = key.proof(url(realm, "token"), nonce=response["DPoP-Nonce"])
        response = post_form(http, endpoint(realm, "token"), form, HTTP_DPOP=proof)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


# --- the account API (keycloak-js's loadUserProfile) -------------------------------------------
def account(http, realm, token, proof=None, scheme="DPoP"):
    headers = {"HTTP_ACCEPT": "application/json", "HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return http.get(f"/realms/{realm.name}/account", **headers)


def test_the_account_api_answers_a_bound_token_with_its_proof(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    key = DPoPKey()
    token = bound_token(client, realm, user, key)
    at = f"{realm.issuer}/account"

    answer = account(client, realm, token, key.proof(at, "GET", access_token=token))
    as_bearer = account(client, realm, token, scheme="Bearer")
    other_key = account(client, realm, token, DPoPKey().proof(at, "GET", access_token=token))

    assert answer.status_code == 200, answer.content
    assert answer.json()["username"] == "alice"
    assert as_bearer.status_code == 401
    assert as_bearer["WWW-Authenticate"].startswith('Bearer realm="')
    assert other_key.status_code == 401
    assert 'error="invalid_dpop_proof"' in other_key["WWW-Authenticate"]


# --- the admin API ------------------------------------------------------------------------------
def admin_call(http, path, token, proof=None, scheme="DPoP"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return http.get(path, **headers)


def test_the_admin_api_answers_a_bound_token_with_its_proof(client):
    realm = make_realm()
    admin = make_user(realm, "admin")
    admin.roles.add(*admin_roles(realm, rm.VIEW_USERS))
    key = DPoPKey()
    token = bound_token(client, realm, admin, key, "admin-cli")
    path = f"/admin/realms/{realm.name}/users"
    htu = settings.AUTHSERVER_URL + path

    answer = admin_call(client, path, token, key.proof(htu, "GET", access_token=token))
    as_bearer = admin_call(client, path, token, scheme="Bearer")
    wrong_url = admin_call(client, path, token, key.proof(htu + "/x", "GET", access_token=token))

    assert answer.status_code == 200, answer.content
    assert answer["DPoP-Nonce"] == dpop.nonce(realm)
    assert as_bearer.status_code == 401
    assert as_bearer["WWW-Authenticate"] == 'Bearer realm="admin", error="invalid_token"'
    assert wrong_url.status_code == 401
    assert wrong_url["WWW-Authenticate"].startswith(
        'DPoP realm="admin", error="invalid_dpop_proof", algs="ES256 '
    )


def test_the_admin_api_demands_a_nonce_of_a_client_that_requires_one(client):
    realm = make_realm()
    admin = make_user(realm, "admin")
    admin.roles.add(*admin_roles(realm, rm.VIEW_USERS))
    key = DPoPKey()
    token = bound_token(
        client, realm, admin, key, "admin-cli", attributes={dpop.NONCE_ATTRIBUTE: "true"}
    )
    path = f"/admin/realms/{realm.name}/users"
    htu = settings.AUTHSERVER_URL + path

    first = admin_call(client, path, token, key.proof(htu, "GET", access_token=token))

    assert first.status_code == 401
    assert 'error="use_dpop_nonce"' in first["WWW-Authenticate"]
    proof = key.proof(htu, "GET", access_token=token, nonce=first["DPoP-Nonce"])
    assert admin_call(client, path, token, proof).status_code == 200
