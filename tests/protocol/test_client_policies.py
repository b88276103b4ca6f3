"""Keycloak's client policies, and the FAPI 2.0 Security Profile they apply, one requirement at a
time: each test shows a request the profile refuses next to the same request being accepted
where no policy selects the client."""

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from jwcrypto import jwk, jwt

from authserver.protocol.client_assertion import ASSERTION_TYPE
from tests import pki
from tests.factories import make_realm, make_user
from tests.protocol.dpop_keys import DPoPKey, url
from tests.protocol.helpers import (
    REDIRECT_URI,
    SECRET,
    VERIFIER,
    authorize_params,
    authorize_url,
    basic,
    endpoint,
    login,
    make_web_client,
    post_form,
    redirect_params,
    verify,
)

pytestmark = pytest.mark.django_db

PAR = "ext/par/request"
FAPI_POLICY = {
    "name": "fapi",
    "enabled": True,
    "conditions": [{"condition": "any-client"}],
    "profiles": ["fapi-2-security-profile"],
}


def fapi_realm(name="bank", **policy):
    return make_realm(
        name,
        default_signature_algorithm="ES256",
        client_policies={"policies": [FAPI_POLICY | policy]},
    )


def client_with_key(realm, client_id="app", **fields):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    key_set = {"keys": [{**json.loads(key.export_public()), "kid": "k1", "alg": "ES256"}]}
    attributes = {"jwks.string": json.dumps(key_set)} | fields.pop("attributes", {})
    make_web_client(realm, client_id, scopes=("openid",), attributes=attributes, **fields)
    return key


def assertion(key, realm, client_id="app", *, alg="ES256", **overrides):
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": realm.issuer,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    } | overrides
    token = jwt.JWT(header={"alg": alg, "kid": "k1"}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def by_assertion(key, realm, client_id="app", **overrides) -> dict:
    return {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(key, realm, client_id, **overrides),
    }


def push(http, realm, credentials: dict, **params):
    form = {
        name: value
        for name, value in authorize_params("app", **params).items()
        if name != "client_id"
    }
    headers = credentials.pop("headers", {})
    return post_form(http, endpoint(realm, PAR), form | credentials, **headers)


def code_by_reference(http, realm, request_uri, user):
    response = http.get(authorize_url(realm, client_id="app", request_uri=request_uri))
    if response.status_code == 302 and "/login" in response["Location"]:
        next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
        response = http.get(login(http, realm, user.username, next_url=next_url)["Location"])
    return redirect_params(response)


def exchange(http, realm, code, credentials: dict, dpop_key=None):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    headers = {"HTTP_DPOP": dpop_key.proof(url(realm, "token"))} if dpop_key else {}
    return post_form(http, endpoint(realm, "token"), form | credentials, **headers)


def fapi_code(http, realm, key, user) -> str:
    pushed = push(http, realm, by_assertion(key, realm), scope="openid")
    assert pushed.status_code == 201, pushed.content
    return code_by_reference(http, realm, pushed.json()["request_uri"], user)["code"]


# --- the whole profile at once: what a FAPI 2.0 client does succeeds ---
def test_it_lets_a_conforming_client_through_par_pkce_and_private_key_jwt(client):
    realm = fapi_realm()
    key = client_with_key(realm)
    user = make_user(realm, "alice")
    pushed = push(client, realm, by_assertion(key, realm), scope="openid")
    assert pushed.status_code == 201, pushed.content
    answer = code_by_reference(client, realm, pushed.json()["request_uri"], user)
    assert answer["iss"] == realm.issuer  # RFC 9207, FAPI 2.0 §5.3.2.2 item 6
    proof_key = DPoPKey()
    response = exchange(client, realm, answer["code"], by_assertion(key, realm), proof_key)
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    claims = verify(client, realm, response.json()["access_token"])
    assert claims["azp"] == "app"
    assert claims["cnf"] == {"jkt": proof_key.jkt}


def test_it_refuses_to_issue_a_bearer_token(client):
    realm = fapi_realm()
    key = client_with_key(realm)
    code = fapi_code(client, realm, key, make_user(realm, "alice"))
    response = exchange(client, realm, code, by_assertion(key, realm))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    # The code was not spent by the refusal: the same request with a proof gets its tokens.
    again = exchange(client, realm, code, by_assertion(key, realm), DPoPKey())
    assert again.status_code == 200, again.content


@pytest.mark.parametrize(
    "profile, status",
    [("fapi-2-security-profile", 200), ("fapi-2-dpop-security-profile", 400)],
)
def test_it_takes_certificate_bound_tokens_for_dpop_unless_the_profile_says_dpop(
    client, mtls, client_ca, profile, status
):
    realm = fapi_realm(profiles=[profile])
    key = client_with_key(realm, attributes={"tls.client.certificate.bound.access.tokens": "true"})
    code = fapi_code(client, realm, key, make_user(realm, "alice"))
    certificate = client_ca.issue(pki.name("app"))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    response = post_form(
        client, endpoint(realm, "token"), form | by_assertion(key, realm), **certificate.forwarded
    )
    assert response.status_code == status, response.content
    if status == 200:
        claims = verify(client, realm, response.json()["access_token"])
        assert claims["cnf"] == {"x5t#S256": certificate.thumbprint}
    else:
        assert response.json()["error"] == "invalid_dpop_proof"


# --- one requirement at a time ---
def test_it_refuses_an_authorization_request_that_was_not_pushed(client):
    realm = fapi_realm()
    client_with_key(realm)
    make_user(realm, "alice")
    login(client, realm, "alice")
    answer = redirect_params(client.get(authorize_url(realm, **authorize_params("app"))))
    assert answer["error"] == "invalid_request"
    assert "code" not in answer


def test_it_refuses_a_pushed_request_without_pkce(client):
    realm = fapi_realm()
    key = client_with_key(realm)
    pushed = push(client, realm, by_assertion(key, realm), verifier=None)
    assert pushed.status_code == 400
    assert pushed.json()["error"] == "invalid_request"


def test_it_refuses_a_pushed_request_with_plain_pkce(client):
    realm = fapi_realm()
    key = client_with_key(realm)
    pushed = push(
        client,
        realm,
        by_assertion(key, realm),
        code_challenge=VERIFIER,
        code_challenge_method="plain",
    )
    assert pushed.status_code == 400
    assert pushed.json()["error"] == "invalid_request"


def test_it_refuses_client_secret_authentication(client):
    realm = fapi_realm()
    client_with_key(realm)
    pushed = push(client, realm, {"headers": {"HTTP_AUTHORIZATION": basic("app", SECRET)}})
    assert pushed.status_code == 401
    assert pushed.json()["error"] == "invalid_client"


def test_it_accepts_client_secret_authentication_where_no_policy_applies(client):
    realm = fapi_realm(enabled=False)
    client_with_key(realm)
    pushed = push(client, realm, {"headers": {"HTTP_AUTHORIZATION": basic("app", SECRET)}})
    assert pushed.status_code == 201, pushed.content


def test_it_refuses_an_assertion_whose_audience_is_the_token_endpoint(client):
    realm = fapi_realm()
    key = client_with_key(realm)
    token_endpoint = endpoint(realm, "token")
    for audience in (f"http://testserver{token_endpoint}", [realm.issuer]):
        pushed = push(client, realm, by_assertion(key, realm, aud=audience))
        assert pushed.status_code == 401, audience
        assert pushed.json()["error"] == "invalid_client"


def test_it_refuses_an_rs256_assertion(client):
    realm = fapi_realm()
    rsa = jwk.JWK.generate(kty="RSA", size=2048)
    key_set = {"keys": [{**json.loads(rsa.export_public()), "kid": "k1", "alg": "RS256"}]}
    make_web_client(realm, "app", attributes={"jwks.string": json.dumps(key_set)})
    pushed = push(client, realm, by_assertion(rsa, realm, alg="RS256"))
    assert pushed.status_code == 401
    assert pushed.json()["error"] == "invalid_client"


def test_it_refuses_public_clients(client):
    realm = fapi_realm()
    make_web_client(realm, "spa", public=True)
    response = client.get(authorize_url(realm, **authorize_params("spa")))
    answer = redirect_params(response)
    assert answer["error"] == "unauthorized_client"


def test_it_refuses_the_password_grant(client):
    realm = fapi_realm()
    key = client_with_key(realm, attributes={"direct.access.grants.enabled": "true"})
    make_user(realm, "alice")
    form = {"grant_type": "password", "username": "alice", "password": "x"}
    proof = DPoPKey().proof(url(realm, "token"))
    response = post_form(
        client, endpoint(realm, "token"), form | by_assertion(key, realm), HTTP_DPOP=proof
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


# --- which clients a policy selects ---
def test_it_applies_a_policy_only_to_the_clients_its_conditions_select(client):
    condition = {
        "condition": "client-attributes",
        "configuration": {"attributes": [{"key": "fapi", "value": "yes"}]},
    }
    realm = fapi_realm(conditions=[condition])
    client_with_key(realm, "app", attributes={"fapi": "yes"})
    make_web_client(realm, "plain")
    make_user(realm, "alice")
    login(client, realm, "alice")
    tagged = redirect_params(client.get(authorize_url(realm, **authorize_params("app"))))
    assert tagged["error"] == "invalid_request"  # not pushed
    untagged = redirect_params(client.get(authorize_url(realm, **authorize_params("plain"))))
    assert "code" in untagged


def test_it_keeps_one_realms_policies_to_itself(client):
    fapi_realm("bank")
    other = make_realm("shop")
    make_web_client(other, "app")
    make_user(other, "alice")
    login(client, other, "alice")
    answer = redirect_params(client.get(authorize_url(other, **authorize_params("app"))))
    assert "code" in answer


def test_it_applies_a_realm_profile_built_of_executors(client):
    realm = make_realm(
        "shop",
        client_profiles={
            "profiles": [{"name": "par-only", "executors": [{"executor": "secure-par-content"}]}]
        },
        client_policies={"policies": [FAPI_POLICY | {"name": "par", "profiles": ["par-only"]}]},
    )
    make_web_client(realm, "app")
    make_user(realm, "alice")
    login(client, realm, "alice")
    answer = redirect_params(client.get(authorize_url(realm, **authorize_params("app"))))
    assert answer["error"] == "invalid_request"
    pushed = push(client, realm, {"headers": {"HTTP_AUTHORIZATION": basic("app", SECRET)}})
    assert pushed.status_code == 201, pushed.content  # the secret is still allowed here


def test_it_refuses_a_redirect_uri_that_is_not_https(client):
    realm = fapi_realm()
    plain = "http://127.0.0.1:9000/cb"
    key = client_with_key(realm, redirect_uris=f"{REDIRECT_URI} {plain}")
    pushed = push(client, realm, by_assertion(key, realm), redirect_uri=plain)
    assert pushed.status_code == 400
    assert pushed.json()["error"] == "invalid_request"


def test_it_applies_no_policy_it_cannot_read_rather_than_fail(client):
    """A stored document of another shape (written before its checks, or by hand) selects no
    client; it never makes a request fail with a server error."""
    odd = [
        {"condition": "client-attributes", "configuration": {"attributes": 5}},
        {"condition": ["any-client"]},
    ]
    realm = make_realm(
        "odd",
        client_policies={
            "policies": [
                FAPI_POLICY | {"conditions": [condition], "profiles": [{"x": 1}, "par"]}
                for condition in odd
            ]
        },
    )
    make_web_client(realm, "app")
    make_user(realm, "alice")
    login(client, realm, "alice")
    answer = redirect_params(client.get(authorize_url(realm, **authorize_params("app"))))
    assert "code" in answer
