"""private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9).

The client signs a short-lived JWT with a key whose public half it registered with us, in
Keycloak's client attribute ``jwks.string`` (a JWK Set). Each assertion is accepted once. Its
header names the key by ``kid``; without one, the set must hold exactly one key for its
algorithm.

An assertion is accepted within ``MAX_AGE`` of its ``iat``, whatever its ``exp`` (as Keycloak
does; Authlib, for one, signs ``exp = iat + 3600`` by default): what bounds its use is when it
was made. Its ``jti`` is remembered for as long as it could be accepted, so a replay is refused
throughout. An assertion without ``iat`` may live ``MAX_AGE`` at most.
"""

import functools
import hashlib
import json
import logging
import math
import time

from django.core.cache import caches
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK, JWKSet

from authserver.protocol import client_policies, jwt

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The algorithm names a key type; a key that says its own algorithm must agree.
ALGORITHMS = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC"}
# How long after it was made (``iat``) an assertion is accepted: it is meant for one request.
MAX_AGE = 600
# Clocks a little apart: the client's ``iat`` may be this far in our future.
LEEWAY = 30

log = logging.getLogger(__name__)


class AssertionRejected(Exception):
    pass


def registered_keys(client) -> tuple[JWK, ...]:
    raw = client.attributes.get("jwks.string")
    if not raw:
        raise AssertionRejected(f"client {client.client_id} has no registered JWKS")
    try:
        return _parsed_key_set(raw if isinstance(raw, str) else json.dumps(raw))
    except (JWException, ValueError, TypeError, KeyError) as exc:
        raise AssertionRejected(f"the registered JWKS is unreadable: {exc}") from None


@functools.lru_cache(maxsize=1024)
def _parsed_key_set(raw: str) -> tuple[JWK, ...]:
    """A registered JWK Set, parsed once per process for as long as it is registered unchanged
    (a changed registration is another string); jwcrypto keeps each key's loaded form."""
    return tuple(JWKSet.from_json(raw)["keys"])


def key_finder(keys: tuple[JWK, ...]):
    def key_for(header: dict) -> JWK | None:
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            return None
        candidates = [
            key
            for key in keys
            if key.get("kty") == ALGORITHMS[alg]
            and key.get("alg", alg) == alg
            and (kid is None or key.get("kid") == kid)
        ]
        # Without a kid, the one key that fits; several would leave the choice to the sender.
        return candidates[0] if len(candidates) == 1 else None

    return key_for


def verify(
    client,
    assertion: str,
    *,
    audiences: set[str],
    now: float | None = None,
    issuer_only: str | None = None,
    algorithms: frozenset[str] | None = None,
) -> dict:
    """The assertion's claims if ``client`` signed it for us; AssertionRejected otherwise.

    ``issuer_only``: the one ``aud`` accepted, as a string (FAPI 2.0 §5.3.2.1 item 8);
    ``algorithms``: the signature algorithms accepted (its client policies').
    """
    now = time.time() if now is None else now
    if algorithms is not None and jwt.unverified_header(assertion).get("alg") not in algorithms:
        raise AssertionRejected(f"signature algorithm not one of {sorted(algorithms)}")
    try:
        claims = jwt.verified_claims(assertion, key_finder(registered_keys(client)))
    except jwt.BadToken as exc:
        raise AssertionRejected(f"signature or format: {exc}") from None
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise AssertionRejected("iss and sub must both be the client_id")
    if issuer_only is not None and claims.get("aud") != issuer_only:
        raise AssertionRejected("aud must be the issuer, as a string")
    aud = claims.get("aud")
    aud = {aud} if isinstance(aud, str) else set(aud or [])
    if not aud & audiences:
        raise AssertionRejected(f"aud {sorted(aud)} names neither the issuer nor the endpoint")
    usable_until = _usable_until(claims, now)
    nbf = claims.get("nbf")
    if nbf is not None and (not is_time(nbf) or nbf > now + LEEWAY):
        raise AssertionRejected("not valid yet")
    jti = claims.get("jti")
    if not jti or not isinstance(jti, str):
        raise AssertionRejected("no jti")
    # One use per assertion: the first request records its jti for as long as it is usable, in
    # the store every worker sees (without Redis, the default cache is one process's).
    digest = hashlib.sha256(jti.encode("utf-8", "surrogatepass")).hexdigest()
    key = f"client-assertion:{client.pk}:{digest}"
    if not caches["shared"].add(key, 1, timeout=math.ceil(usable_until + LEEWAY - now)):
        raise AssertionRejected("jti already used")
    return claims


def is_time(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _usable_until(claims: dict, now: float) -> float:
    """Until when (before LEEWAY) the assertion may be used: its ``exp`` (RFC 7523 §3: required),
    and no later than ``MAX_AGE`` after its ``iat``; AssertionRejected once that has passed."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if not is_time(exp) or exp + LEEWAY < now:
        raise AssertionRejected("expired or without exp")
    if iat is None:
        if exp - now > MAX_AGE:
            raise AssertionRejected(f"without iat, it may live {MAX_AGE} s at most")
        return exp
    if not is_time(iat):
        raise AssertionRejected("iat is not a time")
    if iat > now + LEEWAY:
        raise AssertionRejected("issued in the future")
    if now - iat > MAX_AGE + LEEWAY:
        raise AssertionRejected(f"issued more than {MAX_AGE} s ago")
    return min(exp, iat + MAX_AGE)


def authenticate(validator, request) -> bool:
    """The validator's hook: load the client named by the assertion and check it."""
    if request.client_assertion_type != ASSERTION_TYPE or not request.client_assertion:
        return False
    client_id = (jwt.unverified_claims(request.client_assertion) or {}).get("sub")
    if not isinstance(client_id, str):
        return False
    if request.client_id and request.client_id != client_id:
        return False
    client = validator._load_application(client_id, request)
    if client is None or client.is_public:
        return False
    realm = client.realm
    audiences = {realm.issuer, f"{realm.issuer}/protocol/openid-connect/token"}
    required = client_policies.requirements(client)
    try:
        verify(
            client,
            request.client_assertion,
            audiences=audiences,
            issuer_only=realm.issuer if required.issuer_audience_only else None,
            algorithms=required.algorithms,
        )
    except AssertionRejected as reason:
        log.info("invalid_client: assertion of %s rejected: %s", client.client_id, reason)
        return False
    request.client_id = client.client_id
    return True
