"""DPoP-bound tokens at UserInfo (RFC 9449 §7): ``Authorization: DPoP`` with a proof of the
token's key for this request; never as a bearer token; ``WWW-Authenticate: DPoP`` refusals."""

import time

import pytest

from authserver.protocol import dpop
from tests.factories import make_realm, make_user
from tests.protocol.dpop_keys import DPoPKey, exchange, url
from tests.protocol.helpers import authorize_and_get_code, endpoint, make_web_client, post_form

pytestmark = pytest.mark.django_db


def bound_token(http, realm, key, **client_fields) -> str:
    user = make_user(realm, "alice", email="alice@example.com")
    make_web_client(realm, public=True, scopes=("openid", "email"), **client_fields)
    code = authorize_and_get_code(http, realm, user, scope="openid email")
    response = exchange(http, realm, code, key)
    if response.status_code == 400 and response.json()["error"] == "use_dpop_nonce":
        response = exchange(http, realm, code, key, nonce=response["DPoP-Nonce"])
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def userinfo(http, realm, token, proof=None, *, scheme="DPoP"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return http.get(endpoint(realm, "userinfo"), **headers)


def assert_challenge(response, error, *, scheme="DPoP", status=401):
    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith(f'{scheme} realm="'), challenge
    assert f'error="{error}"' in challenge
    if scheme == "DPoP":
        assert 'algs="ES256 ' in challenge
    assert response["Cache-Control"] == "no-store"


def test_it_answers_a_bound_token_with_a_proof_of_its_key(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    response = userinfo(
        client, realm, token, key.proof(url(realm, "userinfo"), "GET", access_token=token)
    )

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "alice@example.com"
    assert response["DPoP-Nonce"] == dpop.nonce(realm)


def test_it_answers_a_post_with_a_proof_for_post(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    response = post_form(
        client,
        endpoint(realm, "userinfo"),
        {},
        HTTP_AUTHORIZATION=f"DPoP {token}",
        HTTP_DPOP=key.proof(url(realm, "userinfo"), "POST", access_token=token),
    )

    assert response.status_code == 200, response.content


def test_it_refuses_a_bound_token_presented_as_a_bearer_token(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    proof = key.proof(url(realm, "userinfo"), "GET", access_token=token)
    response = userinfo(client, realm, token, proof, scheme="Bearer")

    assert_challenge(response, "invalid_token", scheme="Bearer")


def test_it_refuses_an_unbound_token_presented_with_dpop(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    make_web_client(realm, public=True, scopes=("openid",))
    code = authorize_and_get_code(client, realm, user, scope="openid")
    token = exchange(client, realm, code).json()["access_token"]

    key = DPoPKey()
    response = userinfo(
        client, realm, token, key.proof(url(realm, "userinfo"), "GET", access_token=token)
    )

    assert_challenge(response, "invalid_token")


def test_it_refuses_a_bound_token_without_a_proof(client):
    realm = make_realm()
    token = bound_token(client, realm, DPoPKey())

    assert_challenge(userinfo(client, realm, token), "invalid_dpop_proof")


def test_it_refuses_a_proof_of_another_key(client):
    realm = make_realm()
    token = bound_token(client, realm, DPoPKey())
    thief = DPoPKey()

    response = userinfo(
        client, realm, token, thief.proof(url(realm, "userinfo"), "GET", access_token=token)
    )

    assert_challenge(response, "invalid_dpop_proof")


def test_it_refuses_a_proof_for_another_token(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    response = userinfo(
        client, realm, token, key.proof(url(realm, "userinfo"), "GET", access_token="other")
    )

    assert_challenge(response, "invalid_dpop_proof")


def test_it_refuses_a_proof_without_ath(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    response = userinfo(client, realm, token, key.proof(url(realm, "userinfo"), "GET"))

    assert_challenge(response, "invalid_dpop_proof")


@pytest.mark.parametrize(
    ("htm", "name", "age"),
    [("POST", "userinfo", 0), ("GET", "token", 0), ("GET", "userinfo", -600)],
    ids=["htm", "htu", "stale"],
)
def test_it_refuses_a_proof_made_for_another_request(client, htm, name, age):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    proof = key.proof(url(realm, name), htm, access_token=token, iat=time.time() + age)

    assert_challenge(userinfo(client, realm, token, proof), "invalid_dpop_proof")


def test_it_refuses_a_replayed_proof(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)
    proof = key.proof(url(realm, "userinfo"), "GET", access_token=token)

    assert userinfo(client, realm, token, proof).status_code == 200
    assert_challenge(userinfo(client, realm, token, proof), "invalid_dpop_proof")


def test_it_demands_a_nonce_of_a_client_that_requires_one(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key, attributes={dpop.NONCE_ATTRIBUTE: "true"})

    first = userinfo(
        client, realm, token, key.proof(url(realm, "userinfo"), "GET", access_token=token)
    )

    assert_challenge(first, "use_dpop_nonce")
    nonce = first["DPoP-Nonce"]
    second = userinfo(
        client,
        realm,
        token,
        key.proof(url(realm, "userinfo"), "GET", access_token=token, nonce=nonce),
    )
    assert second.status_code == 200, second.content


def test_it_refuses_a_token_of_another_realm(client):
    realm, other = make_realm(), make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    response = client.get(
        endpoint(other, "userinfo"),
        HTTP_AUTHORIZATION=f"DPoP {token}",
        HTTP_DPOP=key.proof(url(other, "userinfo"), "GET", access_token=token),
    )

    assert_challenge(response, "invalid_token")


@pytest.mark.parametrize("authorization", ["DPoP", "DPoP a b", "DPoP\u00e9"])
def test_it_refuses_malformed_dpop_credentials(client, authorization):
    realm = make_realm()

    response = client.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=authorization)

    assert_challenge(response, "invalid_request", status=400)


def test_it_refuses_a_dpop_token_also_sent_in_the_form(client):
    realm = make_realm()
    key = DPoPKey()
    token = bound_token(client, realm, key)

    response = post_form(
        client,
        endpoint(realm, "userinfo"),
        {"access_token": token},
        HTTP_AUTHORIZATION=f"DPoP {token}",
        HTTP_DPOP=key.proof(url(realm, "userinfo"), "POST", access_token=token),
    )

    assert_challenge(response, "invalid_request", status=400)
