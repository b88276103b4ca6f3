"""private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9).

The client signs a short-lived JWT with a key whose public half it registered with us, in
Keycloak's client attribute ``jwks.string`` (a JWK Set). Each assertion is accepted once.
"""

import json
import logging
import time

from django.core.cache import cache
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS256", "ES256", "PS256"]
# An assertion living longer than this is refused: it is meant for one request.
MAX_LIFETIME = 600
LEEWAY = 30

log = logging.getLogger(__name__)


class AssertionRejected(Exception):
    pass


def _claims_without_checking(assertion: str) -> dict:
    envelope = jws.JWS()
    envelope.deserialize(assertion)
    return json.loads(envelope.objects["payload"])


def _client_keys(client) -> jwk.JWKSet:
    raw = client.attributes.get("jwks.string")
    if not raw:
        raise AssertionRejected(f"client {client.client_id} has no registered JWKS")
    return jwk.JWKSet.from_json(raw if isinstance(raw, str) else json.dumps(raw))


def verify(client, assertion: str, *, audiences: set[str], now: float | None = None) -> dict:
    """The assertion's claims if ``client`` signed it for us; AssertionRejected otherwise."""
    now = time.time() if now is None else now
    try:
        keys = _client_keys(client)
        parsed = jwt.JWT(jwt=assertion, key=keys, algs=ALGORITHMS, expected_type="JWS")
        claims = json.loads(parsed.claims)
    except (JWException, ValueError, TypeError, KeyError) as exc:
        raise AssertionRejected(f"signature or format: {exc}") from None
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise AssertionRejected("iss and sub must both be the client_id")
    aud = claims.get("aud")
    aud = {aud} if isinstance(aud, str) else set(aud or [])
    if not aud & audiences:
        raise AssertionRejected(f"aud {sorted(aud)} names neither the issuer nor the endpoint")
    exp, jti = claims.get("exp"), claims.get("jti")
    if not isinstance(exp, int | float) or exp + LEEWAY < now:
        raise AssertionRejected("expired or without exp")
    if exp - now > MAX_LIFETIME:
        raise AssertionRejected("lives too long")
    if not jti or not isinstance(jti, str):
        raise AssertionRejected("no jti")
    # One use per assertion: the first request records its jti until it expires.
    if not cache.add(f"client-assertion:{client.pk}:{jti}", 1, timeout=int(exp - now) + LEEWAY):
        raise AssertionRejected("jti already used")
    return claims


def authenticate(validator, request) -> bool:
    """The validator's hook: load the client named by the assertion and check it."""
    if request.client_assertion_type != ASSERTION_TYPE or not request.client_assertion:
        return False
    try:
        client_id = _claims_without_checking(request.client_assertion).get("sub")
    except (JWException, ValueError, TypeError, KeyError):
        return False
    if request.client_id and request.client_id != client_id:
        return False
    client = validator._load_application(client_id, request)
    if client is None or client.is_public:
        return False
    realm = client.realm
    audiences = {realm.issuer, f"{realm.issuer}/protocol/openid-connect/token"}
    try:
        verify(client, request.client_assertion, audiences=audiences)
    except AssertionRejected as reason:
        log.info("invalid_client: assertion of %s rejected: %s", client.client_id, reason)
        return False
    request.client_id = client.client_id
    return True
