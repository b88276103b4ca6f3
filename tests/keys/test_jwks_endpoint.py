import pytest
from jwcrypto.common import base64url_decode
from jwcrypto.jwk import JWK
from jwcrypto.jws import InvalidJWSSignature

from authserver.keys import rotation, store
from tests.factories import make_realm
from tests.keys.conftest import (
    PRIVATE_MEMBERS,
    fetch_jwks,
    jwks_url,
    published_kids,
    sign,
    verify_with_published_jwks,
)

pytestmark = pytest.mark.django_db

PUBLIC_MEMBERS = {"RS256": {"n", "e"}, "PS256": {"n", "e"}, "ES256": {"crv", "x", "y"}}
KTY = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC"}


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256"])
def test_it_publishes_kid_alg_use_and_only_public_members(client, alg):
    realm = make_realm(default_signature_algorithm=alg)
    store.signing_key(realm)
    rotation.stage(realm)
    keys = fetch_jwks(client, realm)["keys"]
    assert len(keys) == 2  # the signing key and the staged key
    for key in keys:
        assert set(key) == {"kid", "kty", "alg", "use"} | PUBLIC_MEMBERS[alg]
        assert not set(key) & PRIVATE_MEMBERS
        assert (key["kty"], key["alg"], key["use"]) == (KTY[alg], alg, "sig")
        assert key["kid"] == JWK(**key).thumbprint()
        if alg == "ES256":
            assert key["crv"] == "P-256"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256"])
def test_it_lets_a_client_verify_a_token_with_the_published_key(client, alg):
    realm = make_realm(default_signature_algorithm=alg)
    compact = sign(store.signing_key(realm))
    assert verify_with_published_jwks(client, realm, compact) == b'{"sub":"alice"}'


def test_it_signs_es256_with_a_raw_64_byte_signature(client):
    realm = make_realm(default_signature_algorithm="ES256")
    signature = sign(store.signing_key(realm)).split(".")[2]
    assert len(base64url_decode(signature)) == 64  # r || s, RFC 7518 section 3.4, not DER


def test_it_rejects_a_tampered_token_with_the_published_key(client):
    realm = make_realm()
    header, _, signature = sign(store.signing_key(realm)).split(".")
    forged = f"{header}.eyJzdWIiOiJtYWxsb3J5In0.{signature}"
    with pytest.raises(InvalidJWSSignature):
        verify_with_published_jwks(client, realm, forged)


def test_it_serves_json_that_verifiers_may_cache(client):
    realm = make_realm()
    response = client.get(jwks_url(realm))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert directives == {"public", f"max-age={store.JWKS_MAX_AGE}"}
    assert store.JWKS_MAX_AGE == 300
    assert "Access-Control-Allow-Origin" not in response  # only for the realm's web origins
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")


def test_it_answers_not_modified_to_a_matching_etag(client):
    realm = make_realm()
    etag = client.get(jwks_url(realm))["ETag"]
    response = client.get(jwks_url(realm), headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "max-age=300" in response["Cache-Control"]
    other = client.get(jwks_url(realm), headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_it_changes_the_etag_when_a_key_is_staged(client):
    realm = make_realm()
    before = client.get(jwks_url(realm))["ETag"]
    rotation.stage(realm)
    response = client.get(jwks_url(realm), headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response["ETag"] != before


def test_it_shows_no_key_of_another_realm(client):
    alice_realm, charlie_realm = make_realm(), make_realm()
    store.signing_key(alice_realm)
    rotation.rotate(alice_realm)
    rotation.stage(alice_realm)
    alice_kids = set(published_kids(client, alice_realm))
    charlie_kids = set(published_kids(client, charlie_realm))
    assert len(alice_kids) == 3 and len(charlie_kids) == 1
    assert not alice_kids & charlie_kids
    compact = sign(store.signing_key(alice_realm))
    with pytest.raises(AssertionError, match="is not published"):
        verify_with_published_jwks(client, charlie_realm, compact)


def test_it_is_not_found_for_an_unknown_realm(client):
    response = client.get("/realms/nowhere/protocol/openid-connect/certs")
    assert response.status_code == 404


def test_it_is_not_found_for_a_disabled_realm(client):
    realm = make_realm(enabled=False)
    response = client.get(jwks_url(realm))
    assert response.status_code == 404
    assert not realm.signing_keys.exists()


def test_it_refuses_to_be_posted_to(client):
    realm = make_realm()
    assert client.post(jwks_url(realm)).status_code == 405
