"""Request objects by value (RFC 9101): the client signs its authorization request with a key it
registered; only the object's parameters count; anything unsigned, another's, expired or meant
for another issuer is refused on a page, never redirected."""

import base64
import json
import time

import pytest
from jwcrypto import jwk, jwt

from authserver.models import Client, PushedRequest
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    REDIRECT_URI,
    SECRET,
    VERIFIER,
    authorize_params,
    authorize_url,
    basic,
    endpoint,
    exchange_code,
    login,
    make_web_client,
    post_form,
    redirect_params,
    verify,
)
from tests.protocol.issued import client_with_key, grant_scopes

pytestmark = pytest.mark.django_db


@pytest.fixture
def realm(db):
    realm = make_realm("acme")
    make_user(realm, "alice")
    return realm


@pytest.fixture
def key(realm):
    key = client_with_key(realm, "app")
    grant_scopes(Client.objects.get(realm=realm, client_id="app"), "openid")
    return key


def signed(key, claims: dict, *, alg="ES256", kid="k1") -> str:
    token = jwt.JWT(header={"alg": alg, "kid": kid}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def request_claims(realm, **changes) -> dict:
    claims = {
        "iss": "app",
        "aud": realm.issuer,
        "exp": int(time.time()) + 300,
        **authorize_params("app", scope="openid", state="signed-state"),
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def by_value(realm, request_object, **outside):
    return authorize_url(realm, client_id="app", request=request_object, **outside)


def test_it_takes_the_request_from_the_signed_object(client, realm, key):
    login(client, realm, "alice")
    obj = signed(key, request_claims(realm))
    response = client.get(by_value(realm, obj, state="outside", redirect_uri="https://e.example"))
    answer = redirect_params(response)
    assert response["Location"].startswith(REDIRECT_URI)
    assert answer["state"] == "signed-state"
    tokens = exchange_code(client, realm, answer["code"], secret=SECRET, verifier=VERIFIER)
    assert tokens.status_code == 200, tokens.content
    assert verify(client, realm, tokens.json()["access_token"])["azp"] == "app"


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"aud": "https://other-issuer.example"},
        {"aud": None},
        {"exp": int(time.time()) - 600},
        {"nbf": int(time.time()) + 600},
        {"client_id": "other"},
        {"request_uri": "https://x.example/r"},
    ],
)
def test_it_refuses_an_object_it_cannot_trust(client, realm, key, changes):
    login(client, realm, "alice")
    response = client.get(by_value(realm, signed(key, request_claims(realm, **changes))))
    assert response.status_code == 400
    assert "Location" not in response


def test_it_refuses_an_object_signed_by_another_key(client, realm, key):
    login(client, realm, "alice")
    stranger = jwk.JWK.generate(kty="EC", crv="P-256")
    response = client.get(by_value(realm, signed(stranger, request_claims(realm))))
    assert response.status_code == 400


def test_it_refuses_an_unsigned_object(client, realm, key):
    login(client, realm, "alice")
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    payload = base64.urlsafe_b64encode(json.dumps(request_claims(realm)).encode()).rstrip(b"=")
    response = client.get(by_value(realm, f"{header}.{payload.decode()}."))
    assert response.status_code == 400


def test_it_refuses_an_object_of_a_client_without_keys(client, realm):
    make_web_client(realm, "plain")
    login(client, realm, "alice")
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    obj = signed(key, request_claims(realm, iss="plain", client_id="plain"))
    response = client.get(authorize_url(realm, client_id="plain", request=obj))
    assert response.status_code == 400


def test_a_pushed_request_may_carry_a_request_object(client, realm, key):
    login(client, realm, "alice")
    Client.objects.filter(client_id="app").update(client_secret=SECRET)
    obj = signed(key, request_claims(realm))
    pushed = post_form(
        client,
        endpoint(realm, "ext/par/request"),
        {"request": obj},
        HTTP_AUTHORIZATION=basic("app", SECRET),
    )
    assert pushed.status_code == 201, pushed.content
    assert PushedRequest.objects.get().params["state"] == ["signed-state"]
    response = client.get(
        authorize_url(realm, client_id="app", request_uri=pushed.json()["request_uri"])
    )
    assert redirect_params(response)["state"] == "signed-state"


def test_a_client_that_requires_objects_is_refused_a_plain_request(client, realm, key):
    Client.objects.filter(client_id="app").update(
        attributes={
            **Client.objects.get(client_id="app").attributes,
            "request.object.required": "request only",
        }
    )
    login(client, realm, "alice")
    plain = client.get(authorize_url(realm, **authorize_params("app", scope="openid")))
    assert redirect_params(plain)["error"] == "invalid_request"
    signed_request = client.get(by_value(realm, signed(key, request_claims(realm))))
    assert "code" in redirect_params(signed_request)


def test_discovery_says_request_objects_are_supported(client, realm):
    document = client.get(f"/realms/{realm.name}/.well-known/openid-configuration").json()
    assert document["request_parameter_supported"] is True
    assert document["request_object_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert document["request_uri_parameter_supported"] is False


def test_it_shows_a_page_for_a_request_object_that_is_no_jwt(client, realm, key):
    login(client, realm, "alice")
    response = client.get(by_value(realm, "not-a-jwt", redirect_uri=REDIRECT_URI, state="s"))
    assert response.status_code == 400
    assert "Location" not in response
