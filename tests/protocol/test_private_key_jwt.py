import json
import time
import uuid

import pytest
from jwcrypto import jwk, jwt
from jwcrypto.common import base64url_encode

from authserver.protocol.client_assertion import ASSERTION_TYPE
from tests.factories import make_realm
from tests.protocol.helpers import endpoint, make_machine_client, post_form, verify

pytestmark = pytest.mark.django_db


def client_with_key(realm, alg="RS256"):
    key = (
        jwk.JWK.generate(kty="RSA", size=2048)
        if alg == "RS256"
        else jwk.JWK.generate(kty="EC", crv="P-256")
    )
    key_set = {"keys": [{**json.loads(key.export_public()), "kid": "k1", "alg": alg}]}
    make_machine_client(realm, attributes={"jwks.string": json.dumps(key_set)})
    return key


def assertion(key, realm, *, alg="RS256", **overrides):
    now = int(time.time())
    claims = {
        "iss": "machine",
        "sub": "machine",
        "aud": f"{realm.issuer}/protocol/openid-connect/token",
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
        **overrides,
    }
    token = jwt.JWT(header={"alg": alg, "kid": "k1"}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def request_token(http, realm, signed):
    return post_form(
        http,
        endpoint(realm, "token"),
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed,
        },
    )


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_it_authenticates_a_client_by_a_signed_assertion(client, alg):
    realm = make_realm()
    key = client_with_key(realm, alg)
    response = request_token(client, realm, assertion(key, realm, alg=alg))
    assert response.status_code == 200, response.content
    assert verify(client, realm, response.json()["access_token"])["azp"] == "machine"


def test_it_accepts_the_issuer_as_audience(client):
    realm = make_realm()
    key = client_with_key(realm)
    response = request_token(client, realm, assertion(key, realm, aud=realm.issuer))
    assert response.status_code == 200, response.content


def test_it_refuses_a_replayed_assertion(client):
    realm = make_realm()
    key = client_with_key(realm)
    signed = assertion(key, realm)
    assert request_token(client, realm, signed).status_code == 200
    replay = request_token(client, realm, signed)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://elsewhere.example/token"},
        {"exp": int(time.time()) - 300},
        {"exp": int(time.time()) + 3600},
        {"iss": "someone-else"},
        {"jti": None},
    ],
    ids=["wrong-audience", "expired", "too-long", "wrong-issuer", "no-jti"],
)
def test_it_refuses_a_bad_assertion(client, overrides):
    realm = make_realm()
    key = client_with_key(realm)
    response = request_token(client, realm, assertion(key, realm, **overrides))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_an_assertion_signed_by_another_key(client):
    realm = make_realm()
    client_with_key(realm)
    stranger = jwk.JWK.generate(kty="RSA", size=2048)
    response = request_token(client, realm, assertion(stranger, realm))
    assert response.status_code == 401


def test_it_refuses_an_unsigned_assertion(client):
    realm = make_realm()
    client_with_key(realm)
    header = base64url_encode(json.dumps({"alg": "none"}))
    body = base64url_encode(
        json.dumps({"iss": "machine", "sub": "machine", "aud": realm.issuer, "jti": "x"})
    )
    response = request_token(client, realm, f"{header}.{body}.")
    assert response.status_code == 401


def test_it_refuses_garbage(client):
    realm = make_realm()
    client_with_key(realm)
    assert request_token(client, realm, "not-a-jwt").status_code == 401
