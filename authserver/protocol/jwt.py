"""Signing our JWTs with the realm's current key (jwcrypto), and reading them back.

Access tokens follow RFC 9068 (header ``typ: at+jwt``) with Keycloak's claims beside the
standard ones; refresh tokens are JWT-shaped like Keycloak's, but only their server-side record
makes them valid.
"""

import json
import time

from jwcrypto import jws
from jwcrypto.common import JWException, base64url_encode
from jwcrypto.jwa import JWA

from accounts.models import Realm
from authserver.keys import store

ACCESS_TOKEN_TYPE = "at+jwt"


def sign(realm: Realm, claims: dict, *, typ: str = "JWT") -> str:
    """A compact JWS of ``claims`` signed with the realm's active key (RFC 7515 §7.1).

    jwcrypto's JWA algorithm signs; the compact form is put together here, because jwcrypto's
    JWT and JWS objects (header registries, copies, checks of what we just built) cost a
    token request more than an ES256 signature does.
    """
    key = store.signing_key(realm)
    header = _encode({"alg": key["alg"], "kid": key["kid"], "typ": typ})
    payload = _encode(claims)
    signature = JWA.signing_alg(key["alg"]).sign(key, f"{header}.{payload}".encode())
    return f"{header}.{payload}.{base64url_encode(signature)}"


def _encode(value: dict) -> str:
    return base64url_encode(json.dumps(value, separators=(",", ":")))


class BadToken(Exception):
    pass


# jwcrypto's default leeway on exp and nbf, kept for clocks a little apart.
LEEWAY_SECONDS = 60


def verify(realm: Realm, token: str, *, typ: str | None = None, check_expiry: bool = True) -> dict:
    """The claims of a token this realm signed (signature against its published keys, ``iss``,
    ``exp``; ``typ`` when given). Raises BadToken with the reason otherwise.

    The compact JWS is parsed once: its header names the key, the same envelope is verified.
    """
    if not token or len(token) > 16384 or token.count(".") != 2:
        raise BadToken("not a compact JWS")
    try:
        envelope = jws.JWS()
        envelope.deserialize(token)
        header = envelope.jose_header
    except (JWException, ValueError, TypeError) as exc:
        raise BadToken(f"unreadable token: {exc}") from None
    if typ is not None and str(header.get("typ", "")).lower() != typ.lower():
        raise BadToken(f"typ is {header.get('typ')!r}, expected {typ!r}")
    key = store.verification_key(realm, header.get("kid"))
    if key is None or header.get("alg") != key.get("alg"):
        raise BadToken("unknown kid or algorithm mismatch")
    try:
        envelope.verify(key, alg=key["alg"])
        claims = json.loads(envelope.payload)
    except (JWException, ValueError, TypeError) as exc:
        raise BadToken(f"invalid token: {exc}") from None
    if not isinstance(claims, dict):
        raise BadToken("the payload is not a JSON object")
    _check_times(claims, check_expiry=check_expiry)
    if claims.get("iss") != realm.issuer:
        raise BadToken("issuer mismatch")
    return claims


def _check_times(claims: dict, *, check_expiry: bool) -> None:
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if check_expiry:
        if not isinstance(exp, int | float):
            raise BadToken("no exp")
        if exp < now - LEEWAY_SECONDS:
            raise BadToken("expired")
    if nbf is not None and (not isinstance(nbf, int | float) or nbf > now + LEEWAY_SECONDS):
        raise BadToken("not valid yet")


def unverified_claims(token: str) -> dict | None:
    """The payload without checking anything, to find which realm/client to check against."""
    try:
        envelope = jws.JWS()
        envelope.deserialize(token)
        return json.loads(envelope.objects["payload"])
    except (JWException, ValueError, TypeError, KeyError):
        return None
