import json
import time
import uuid
from urllib.parse import parse_qs

import pytest
import time_machine
from jwcrypto import jwk, jwt
from jwcrypto.common import base64url_encode

from authserver.protocol.client_assertion import ASSERTION_TYPE, LEEWAY, MAX_AGE
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


def assertion(key, realm, *, alg="RS256", kid="k1", **overrides):
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
    header = {"alg": alg} if kid is None else {"alg": alg, "kid": kid}
    claims = {name: value for name, value in claims.items() if value is not None}
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


TIMES = ("exp", "nbf", "iat")


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
        {"exp": -300},
        {"exp": None},
        {"iat": None, "exp": 3600},
        {"iat": -700, "exp": 3600},
        {"iat": 300, "exp": 3600},
        {"iat": "yesterday"},
        {"iss": "someone-else"},
        {"jti": None},
        {"nbf": 300},
    ],
    ids=[
        "wrong-audience",
        "expired",
        "no-exp",
        "too-long-without-iat",
        "issued-too-long-ago",
        "issued-in-the-future",
        "iat-not-a-time",
        "wrong-issuer",
        "no-jti",
        "not-yet-valid",
    ],
)
def test_it_refuses_a_bad_assertion(client, overrides):
    """Times are seconds from the request, not from the collection of the suite."""
    realm = make_realm()
    key = client_with_key(realm)
    now = int(time.time())
    claims = {
        name: now + value if name in TIMES and isinstance(value, int) else value
        for name, value in overrides.items()
    }
    response = request_token(client, realm, assertion(key, realm, **claims))
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


def _client_with_keys(realm, keys: dict) -> None:
    """A machine client registering ``keys`` ({kid: (key, alg or None)})."""
    registered = []
    for kid, (key, alg) in keys.items():
        public = {**json.loads(key.export_public()), "kid": kid}
        registered.append({**public, "alg": alg} if alg else public)
    make_machine_client(realm, attributes={"jwks.string": json.dumps({"keys": registered})})


def test_an_assertion_without_kid_is_checked_against_the_one_key_of_its_type(client):
    realm = make_realm()
    rsa = jwk.JWK.generate(kty="RSA", size=2048)
    ec = jwk.JWK.generate(kty="EC", crv="P-256")
    _client_with_keys(realm, {"r": (rsa, None), "e": (ec, "ES256")})
    signed = assertion(rsa, realm, alg="PS256", kid=None)
    response = request_token(client, realm, signed)
    assert response.status_code == 200, response.json()


def test_with_several_keys_of_its_type_an_assertion_must_name_one(client):
    realm = make_realm()
    old, new = jwk.JWK.generate(kty="RSA", size=2048), jwk.JWK.generate(kty="RSA", size=2048)
    _client_with_keys(realm, {"old": (old, "RS256"), "new": (new, "RS256")})
    assert request_token(client, realm, assertion(new, realm, kid=None)).status_code == 401
    assert request_token(client, realm, assertion(new, realm, kid="old")).status_code == 401
    assert request_token(client, realm, assertion(new, realm, kid="gone")).status_code == 401
    assert request_token(client, realm, assertion(new, realm, kid="new")).status_code == 200


def test_a_key_registered_for_one_algorithm_signs_no_other(client):
    realm = make_realm()
    key = client_with_key(realm, alg="RS256")
    response = request_token(client, realm, assertion(key, realm, alg="PS256"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_a_symmetric_assertion_keyed_with_the_public_key(client):
    realm = make_realm()
    key = client_with_key(realm)
    secret = jwk.JWK(kty="oct", k=base64url_encode(key.export_to_pem()))
    response = request_token(client, realm, assertion(secret, realm, alg="HS256"))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [{"alg": ["RS256"], "kid": "k1"}, {"alg": {"RS256": 1}}, {"kid": "k1"}, ["RS256"]],
    ids=["alg-list", "alg-object", "no-alg", "header-not-object"],
)
def test_a_malformed_header_is_invalid_client(client, header):
    realm = make_realm()
    client_with_key(realm)
    now = int(time.time())
    claims = {"iss": "machine", "sub": "machine", "aud": realm.issuer, "exp": now + 60, "jti": "j"}
    signed = ".".join(
        base64url_encode(json.dumps(part)) for part in (header, claims, "not-a-signature")
    )
    response = request_token(client, realm, signed)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- the window of iat: assertions as Authlib signs them by default (exp = iat + 3600) --------
def authlib_form(key, realm, client_id="machine") -> str:
    """The token request Authlib's PrivateKeyJWT makes with its defaults: RS256, its own jti,
    iat now and exp an hour later, the token endpoint as audience."""
    from types import SimpleNamespace

    from authlib.oauth2.rfc7523 import PrivateKeyJWT

    token_endpoint = f"{realm.issuer}/protocol/openid-connect/token"
    pem = key.export_to_pem(private_key=True, password=None).decode()
    auth = SimpleNamespace(client_id=client_id, client_secret=pem)
    _, _, body = PrivateKeyJWT(token_endpoint)(
        auth, "POST", token_endpoint, {}, "grant_type=client_credentials"
    )
    return body


def post_authlib_form(http, realm, body):
    return http.post(
        endpoint(realm, "token"), body, content_type="application/x-www-form-urlencoded"
    )


def test_it_accepts_authlibs_default_assertion(client):
    realm = make_realm()
    key = client_with_key(realm)
    body = authlib_form(key, realm)
    claims = json.loads(jwt.JWT(jwt=parse_qs(body)["client_assertion"][0]).token.objects["payload"])
    assert claims["exp"] - claims["iat"] == 3600
    response = post_authlib_form(client, realm, body)
    assert response.status_code == 200, response.content
    assert verify(client, realm, response.json()["access_token"])["azp"] == "machine"


def test_it_accepts_an_assertion_used_within_its_window_of_iat(client):
    realm = make_realm()
    key = client_with_key(realm)
    with time_machine.travel(time.time(), tick=False) as traveller:
        body = authlib_form(key, realm)
        traveller.shift(MAX_AGE - 10)
        assert post_authlib_form(client, realm, body).status_code == 200


def test_it_refuses_an_assertion_used_after_its_window_of_iat(client):
    realm = make_realm()
    key = client_with_key(realm)
    with time_machine.travel(time.time(), tick=False) as traveller:
        body = authlib_form(key, realm)
        traveller.shift(MAX_AGE + LEEWAY + 5)
        response = post_authlib_form(client, realm, body)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_a_replay_for_as_long_as_the_assertion_is_usable(client):
    realm = make_realm()
    key = client_with_key(realm)
    with time_machine.travel(time.time(), tick=False) as traveller:
        body = authlib_form(key, realm)
        assert post_authlib_form(client, realm, body).status_code == 200
        traveller.shift(MAX_AGE)
        replay = post_authlib_form(client, realm, body)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"


def test_it_remembers_a_used_jti_no_longer_than_its_window(client):
    """The replay store holds each jti until the assertion could no longer be accepted, not
    until an exp an hour away."""
    from django.core.cache import caches

    realm = make_realm()
    key = client_with_key(realm)
    body = authlib_form(key, realm)
    assert post_authlib_form(client, realm, body).status_code == 200
    store = caches["shared"]
    if not hasattr(store, "ttl"):
        pytest.skip("the shared store is not Redis")
    (name,) = store.keys("client-assertion:*")
    assert MAX_AGE - 5 <= store.ttl(name) <= MAX_AGE + LEEWAY + 1
