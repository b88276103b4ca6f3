"""A compact JWS (RFC 7515 §7.1) taken apart, and its signature checked against the issuer's
published keys, with ``cryptography`` directly: what an access token (validator.py) and a logout
token (logout.py) have in common. Each check is a small function raising InvalidToken, whose
``detail`` says why (for the log) and whose description stays generic.

What is deliberately ignored: the ``jku``, ``x5u``, ``jwk`` and ``x5c`` headers. A key named by
the token itself proves nothing; only the issuer's published JWKS counts.
"""

import json
from dataclasses import dataclass

from resource_server.auth.errors import InvalidToken
from resource_server.auth.issuer import Issuer
from resource_server.auth.keys import b64url_decode

# A header and a payload of a few kilobytes each; anything bigger is refused before decoding.
MAX_TOKEN_LENGTH = 16 * 1024

INVALID = "the access token is invalid"


@dataclass(frozen=True)
class Parts:
    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes


def parse(token: str) -> Parts:
    """RFC 7515 §7.1: three base64url parts; a JSON object header and payload (RFC 7519 §7.2)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(INVALID, detail="not a string, or too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken(INVALID, detail="not a compact JWS")
    encoded_header, encoded_claims, encoded_signature = parts
    try:
        header = _header(encoded_header)
        claims = _json(b64url_decode(encoded_claims).decode("utf-8"))
        signature = b64url_decode(encoded_signature)
    # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors; RecursionError is
    # JSON nested deeper than the decoder goes.
    except (ValueError, RecursionError):
        raise InvalidToken(INVALID, detail="undecodable header, payload or signature") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken(INVALID, detail="header or payload is not a JSON object")
    signing_input = token[: len(encoded_header) + 1 + len(encoded_claims)].encode("ascii")
    return Parts(header, claims, signing_input, signature)


# Every token signed with one key has the same header: decode each distinct header once. Emptied
# when full, so that a flood of made-up headers cannot grow it; the cached dicts are never mutated.
_headers: dict[str, dict] = {}
_MAX_HEADERS = 64
_decoder = json.JSONDecoder()


def _header(encoded: str):
    header = _headers.get(encoded)
    if header is None:
        header = _json(b64url_decode(encoded).decode("utf-8"))
        if isinstance(header, dict):
            if len(_headers) >= _MAX_HEADERS:
                _headers.clear()
            _headers[encoded] = header
    return header


def _json(text: str):
    """``json.loads``, with a faster path for the common case of no surrounding whitespace."""
    try:
        value, end = _decoder.raw_decode(text)
    except ValueError:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def check_critical(header: dict) -> None:
    """RFC 7515 §4.1.11: we understand no extension, so any ``crit`` is a refusal."""
    if "crit" in header:
        raise InvalidToken(INVALID, detail="crit header present")


def check_algorithm(header: dict, advertised: frozenset[str]) -> str:
    """RFC 8725 §3.1: only the algorithms the issuer advertises and we support; ``none`` and
    the HMACs are never among them."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in advertised:
        raise InvalidToken(INVALID, detail=f"alg {alg!r} not among {sorted(advertised)}")
    return alg


def check_signature(parts: Parts, alg: str, issuer: Issuer) -> None:
    kid = parts.header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidToken(INVALID, detail="kid is not a string")
    key = issuer.key(kid, alg)
    if key is None:
        raise InvalidToken(INVALID, detail=f"no published key {kid!r} for {alg}")
    # The key's own alg (or its type) must allow the header's: VerificationKey.verify checks it.
    if not key.verify(alg, parts.signing_input, parts.signature):
        raise InvalidToken(INVALID, detail=f"bad {alg} signature for key {kid!r}")


def audiences(claims: dict) -> list:
    """RFC 7519 §4.1.3: ``aud`` is one string or an array of them."""
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []


def number(claims: dict, name: str) -> float | None:
    value = claims.get(name)
    # bool is an int in Python, and never a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
