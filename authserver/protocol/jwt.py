"""Signing our JWTs with the realm's current key (jwcrypto), and reading them back.

Access tokens follow RFC 9068 (header ``typ: at+jwt``) with Keycloak's claims beside the
standard ones; refresh tokens are JWT-shaped like Keycloak's, but only their server-side record
makes them valid.
"""

import json
import re
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from jwcrypto.common import JWException, base64url_decode, base64url_encode
from jwcrypto.jwa import JWA
from jwcrypto.jwk import JWK

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


def sign_refresh(realm: Realm, claims: dict) -> str:
    """A refresh token: a compact JWS under the realm's HMAC key (HS256). Its record, not its
    signature, makes it valid (``recorded_claims``); the signature tells a replay of one of
    ours from garbage (``verify_refresh``)."""
    signing_input = f"{_REFRESH_HEADER}.{_encode(claims)}"
    signature = _refresh_mac(realm, signing_input, settings.SECRET_KEY)
    return f"{signing_input}.{base64url_encode(signature)}"


def verify_refresh(realm: Realm, token: str) -> dict:
    """The claims of a refresh token this realm signed (``sign_refresh``, under the current or
    a fallback SECRET_KEY) with its ``iss``; its expiry is not checked. BadToken otherwise."""
    header, payload, signing_input, signature = _parse(token)
    if header.get("alg") != "HS256" or "crit" in header or "b64" in header:
        raise BadToken("not one of our refresh tokens")
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(
        constant_time_compare(_refresh_mac(realm, signing_input.decode(), secret), signature)
        for secret in secrets
    ):
        raise BadToken("invalid signature")
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise BadToken(f"unreadable payload: {exc}") from None
    if not isinstance(claims, dict) or claims.get("iss") != realm.issuer:
        raise BadToken("issuer mismatch")
    return claims


def _refresh_mac(realm: Realm, signing_input: str, secret: str) -> bytes:
    salt = f"authserver.refresh-token.{realm.pk}"
    return salted_hmac(salt, signing_input, secret=secret, algorithm="sha256").digest()


def _encode(value: dict) -> str:
    return base64url_encode(json.dumps(value, separators=(",", ":")))


# Refresh tokens are read back only by us, as Keycloak's are (HS512 under a realm secret): an
# HMAC under a key derived from SECRET_KEY costs microseconds where an RSA signature costs
# 0.27 ms, and no one else needs to verify them.
_REFRESH_HEADER = _encode({"alg": "HS256", "typ": "JWT"})


class BadToken(Exception):
    pass


# jwcrypto's default leeway on exp and nbf, kept for clocks a little apart.
LEEWAY_SECONDS = 60


def verify(realm: Realm, token: str, *, typ: str | None = None, check_expiry: bool = True) -> dict:
    """The claims of a token this realm signed (signature against its published keys, ``iss``,
    ``exp``; ``typ`` when given). Raises BadToken with the reason otherwise."""

    def published_key(header: dict) -> JWK | None:
        key = store.verification_key(realm, header.get("kid"))
        return key if key is not None and header.get("alg") == key.get("alg") else None

    claims = verified_claims(token, published_key, typ=typ)
    _check_times(claims, check_expiry=check_expiry)
    if claims.get("iss") != realm.issuer:
        raise BadToken("issuer mismatch")
    return claims


def recorded_claims(realm: Realm, token: str) -> dict:
    """The claims of a token whose exact text the caller has found among its own records (a
    refresh token, stored as its SHA-256): ``iss`` and ``exp`` checked as ``verify`` does, the
    signature not. The record is what makes such a token valid, so a token outlives the key
    that signed it: an offline token of 30 days survives a rotation, and the retired key's
    purge, a few hours later. Raises BadToken with the reason otherwise."""
    claims = unverified_claims(token)
    if claims is None:
        raise BadToken("not a compact JWS")
    _check_times(claims, check_expiry=True)
    if claims.get("iss") != realm.issuer:
        raise BadToken("issuer mismatch")
    return claims


def verified_claims(
    token: str, key_for: Callable[[dict], JWK | None], *, typ: str | None = None
) -> dict:
    """The payload of a compact JWS whose signature the key ``key_for(header)`` checks, by the
    header's ``alg``: ``key_for`` answers None for an unknown key or an algorithm it does not
    accept. Raises BadToken with the reason otherwise. Nothing but the signature is checked.

    The compact JWS (RFC 7515 §7.1) is split and decoded here, and its signature checked by
    jwcrypto's JWA algorithm: a jwcrypto JWS object deep-copies its header registry when it
    is made, which cost more than the signature check itself.
    """
    header, payload, signing_input, signature = _parse(token)
    if typ is not None and str(header.get("typ", "")).lower() != typ.lower():
        raise BadToken(f"typ is {header.get('typ')!r}, expected {typ!r}")
    if "crit" in header or "b64" in header:
        raise BadToken("a header extension we do not issue")  # RFC 7515 §4.1.11, RFC 7797
    key = key_for(header)
    if key is None:
        raise BadToken("unknown kid or algorithm mismatch")
    try:
        JWA.signing_alg(str(header["alg"])).verify(key, signing_input, signature)
    except (InvalidSignature, JWException, KeyError, ValueError, TypeError) as exc:
        raise BadToken(f"invalid signature {type(exc).__name__}") from None
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise BadToken(f"unreadable payload: {exc}") from None
    if not isinstance(claims, dict):
        raise BadToken("the payload is not a JSON object")
    return claims


# Three base64url parts without padding (RFC 7515 §2, §7.1); the payload may be empty.
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")


def _parse(token: str) -> tuple[dict, bytes, bytes, bytes]:
    """Header, payload, signing input and signature of a compact JWS; BadToken if it is not one."""
    if not isinstance(token, str) or len(token) > 16384 or not _COMPACT.fullmatch(token):
        raise BadToken("not a compact JWS")
    encoded_header, encoded_payload, encoded_signature = token.split(".")
    try:
        header = json.loads(base64url_decode(encoded_header))
        payload = base64url_decode(encoded_payload)
        signature = base64url_decode(encoded_signature)
    except (ValueError, TypeError, RecursionError) as exc:
        raise BadToken(f"unreadable token: {exc}") from None
    if not isinstance(header, dict):
        raise BadToken("the header is not a JSON object")
    return header, payload, f"{encoded_header}.{encoded_payload}".encode(), signature


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
        claims = json.loads(_parse(token)[1])
    except (BadToken, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def unverified_header(token: str) -> dict:
    """The protected header without checking anything (empty when it is not a compact JWS)."""
    try:
        return _parse(token)[0]
    except BadToken:
        return {}
