import pytest
from jwcrypto import jws

from authserver.models import Client
from tests import hashers
from tests.factories import PASSWORD, make_realm, make_role
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    make_machine_client,
    post_form,
    scope_with_audience,
    verify,
)

pytestmark = pytest.mark.django_db


def request_token(http, realm, client_id="machine", secret=SECRET, **form):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", **form},
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )


def test_it_issues_a_jwt_access_token_for_the_service_account(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    role = make_role(realm, "worker")
    machine.service_account.roles.add(role)
    orders = scope_with_audience(realm, "orders:read", "orders")
    machine.default_client_scopes.add(orders)

    response = request_token(client, realm)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == realm.access_token_lifespan
    assert "refresh_token" not in body
    assert body["scope"] == "orders:read"
    claims = verify(client, realm, body["access_token"], typ="at+jwt")
    assert claims["iss"] == realm.issuer
    assert claims["sub"] == str(machine.service_account.subject)
    assert claims["aud"] == ["orders"]
    assert claims["client_id"] == claims["azp"] == "machine"
    assert claims["typ"] == "Bearer"
    assert claims["realm_access"] == {"roles": ["worker"]}
    assert claims["preferred_username"] == "service-account-machine"
    assert claims["exp"] - claims["iat"] == realm.access_token_lifespan
    assert claims["jti"]


def test_it_accepts_the_secret_in_the_body(client):
    realm = make_realm()
    make_machine_client(realm)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", "client_id": "machine", "client_secret": SECRET},
    )
    assert response.status_code == 200, response.content


def test_it_rejects_a_wrong_secret_with_invalid_client(client):
    realm = make_realm()
    make_machine_client(realm)
    response = request_token(client, realm, secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_it_rejects_a_client_of_another_realm(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_machine_client(realm_a)
    response = request_token(client, realm_b)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_client_credentials_without_service_accounts(client):
    realm = make_realm()
    make_machine_client(realm, service_accounts_enabled=False, standard_flow_enabled=True)
    response = request_token(client, realm)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_it_refuses_an_unknown_scope(client):
    realm = make_realm()
    make_machine_client(realm)
    response = request_token(client, realm, scope="admin:everything")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_it_refuses_an_unsupported_grant_type(client):
    realm = make_realm()
    make_machine_client(realm)
    unsupported = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1: not offered
    response = request_token(client, realm, grant_type=unsupported)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_it_signs_with_the_realms_algorithm(client, alg):
    realm = make_realm(default_signature_algorithm=alg)
    make_machine_client(realm)
    token = request_token(client, realm).json()["access_token"]
    envelope = jws.JWS()
    envelope.deserialize(token)
    assert envelope.jose_header["alg"] == alg
    assert verify(client, realm, token)["iss"] == realm.issuer


def test_it_refuses_a_stored_secret_hash_beyond_the_cost_bound_without_computing_it(
    client, settings
):
    settings.PASSWORD_HASHERS = hashers.COUNTING
    realm = make_realm()
    machine = make_machine_client(realm)
    # A row from before the bound: the hash of PASSWORD at 1,300,001 PBKDF2 iterations.
    Client.objects.filter(pk=machine.pk).update(
        client_secret=hashers.BEYOND_THE_BOUND["pbkdf2-iterations"]
    )
    hashers.WORK.clear()
    response = request_token(client, realm, secret=PASSWORD)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "pbkdf2_sha256" not in hashers.hashed()
