"""Signing our JWTs with the realm's current key (jwcrypto), and reading them back.

Access tokens follow RFC 9068 (header ``typ: at+jwt``) with Keycloak's claims beside the
standard ones; refresh tokens are JWT-shaped like Keycloak's, but only their server-side record
makes them valid.
"""

import json

from jwcrypto import jws, jwt
from jwcrypto.common import JWException

from accounts.models import Realm
from authserver.keys import store

ACCESS_TOKEN_TYPE = "at+jwt"


def sign(realm: Realm, claims: dict, *, typ: str = "JWT") -> str:
    """A compact JWS of ``claims`` signed with the realm's active key (RFC 7515 §7.1)."""
    key = store.signing_key(realm)
    header = {"alg": key["alg"], "kid": key["kid"], "typ": typ}
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


class BadToken(Exception):
    pass


def verify(realm: Realm, token: str, *, typ: str | None = None, check_expiry: bool = True) -> dict:
    """The claims of a token this realm signed (signature against its published keys, ``iss``,
    ``exp``; ``typ`` when given). Raises BadToken with the reason otherwise."""
    if not token or len(token) > 16384 or token.count(".") != 2:
        raise BadToken("not a compact JWS")
    try:
        envelope = jws.JWS()
        envelope.deserialize(token)
        header = envelope.jose_header
    except (JWException, ValueError, TypeError) as exc:
        raise BadToken(f"unreadable token: {exc}") from None
    if typ is not None and header.get("typ", "").lower() != typ.lower():
        raise BadToken(f"typ is {header.get('typ')!r}, expected {typ!r}")
    key = store.verification_key(realm, header.get("kid"))
    if key is None or header.get("alg") != key.get("alg"):
        raise BadToken("unknown kid or algorithm mismatch")
    try:
        parsed = jwt.JWT(
            jwt=token,
            key=key,
            algs=[key["alg"]],
            check_claims={"exp": None} if check_expiry else False,
        )
        claims = json.loads(parsed.claims)
    except (JWException, ValueError, TypeError) as exc:
        raise BadToken(f"invalid token: {exc}") from None
    if claims.get("iss") != realm.issuer:
        raise BadToken("issuer mismatch")
    return claims


def unverified_claims(token: str) -> dict | None:
    """The payload without checking anything, to find which realm/client to check against."""
    try:
        envelope = jws.JWS()
        envelope.deserialize(token)
        return json.loads(envelope.objects["payload"])
    except (JWException, ValueError, TypeError, KeyError):
        return None
