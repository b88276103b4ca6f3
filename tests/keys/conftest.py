import json

from jwcrypto.common import json_encode
from jwcrypto.jwk import JWKSet
from jwcrypto.jws import JWS

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def jwks_url(realm) -> str:
    return f"/realms/{realm.name}/protocol/openid-connect/certs"


def fetch_jwks(client, realm) -> dict:
    response = client.get(jwks_url(realm))
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def published_kids(client, realm) -> list[str]:
    return [key["kid"] for key in fetch_jwks(client, realm)["keys"]]


def sign(key, payload: bytes = b'{"sub":"alice"}') -> str:
    token = JWS(payload)
    token.add_signature(
        key, alg=key["alg"], protected=json_encode({"alg": key["alg"], "kid": key["kid"]})
    )
    return token.serialize(compact=True)


def verify_with_published_jwks(client, realm, compact: str) -> bytes:
    """Verifies ``compact`` as a client would: with the key the JWKS lists under its kid."""
    keyset = JWKSet.from_json(json.dumps(fetch_jwks(client, realm)))
    token = JWS()
    token.deserialize(compact)
    kid = token.jose_header["kid"]
    key = keyset.get_key(kid)
    assert key is not None, f"{kid} is not published"
    token.verify(key, alg=token.jose_header["alg"])
    return token.payload
