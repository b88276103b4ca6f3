"""Validating a JWT access token (RFC 9068 §4) as a resource server must.

The compact JWS (RFC 7515 §7.1) is taken apart here and its signature checked with
``cryptography`` directly: a general JWT library re-parses the key and the token on every call,
which is several times slower than the signature check itself. The checks run in the order of
:meth:`BearerValidator.validate`, each a small function raising one typed error.

What is deliberately ignored: the ``jku``, ``x5u``, ``jwk`` and ``x5c`` headers. A key named by
the token itself proves nothing; only the issuer's published JWKS counts.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from resource_server.auth import certificates
from resource_server.auth.cache import TTLCache
from resource_server.auth.dpop import CHECKED_BY_THE_SERVICE, ProofChecker, ProofRequest
from resource_server.auth.errors import InvalidToken
from resource_server.auth.introspection import Introspector
from resource_server.auth.issuer import Issuer
from resource_server.auth.keys import b64url_decode
from resource_server.auth.principal import Principal

# RFC 9068 §2.1 "at+jwt"; RFC 8725 §3.11 allows the full media type (case-insensitive, RFC 2045).
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# A header and a payload of a few kilobytes each; anything bigger is refused before decoding.
MAX_TOKEN_LENGTH = 16 * 1024

_INVALID = "the access token is invalid"


@dataclass(frozen=True)
class _Parts:
    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes


class BearerValidator:
    """Validates access tokens of one issuer for one audience; thread-safe, one per process.

    ``leeway_seconds`` is the clock skew tolerated on ``exp``, ``nbf`` and ``iat``. With an
    ``introspector``, a token that passes every local check is also asked about at the issuer
    (RFC 7662), so that a revoked token stops working at once rather than when it expires.
    ``proofs`` checks the DPoP proofs of DPoP-bound tokens (RFC 9449 §7); by default with a
    replay cache of this process only: give one whose cache the service's workers share.
    """

    def __init__(
        self,
        issuer: Issuer,
        *,
        audience: str,
        leeway_seconds: float = 30,
        clock: Callable[[], float] = time.time,
        introspector: Introspector | None = None,
        proofs: ProofChecker | None = None,
    ):
        self.issuer = issuer
        self.audience = audience
        self._leeway = leeway_seconds
        self._clock = clock
        self._introspector = introspector
        self._proofs = proofs or ProofChecker(replay_cache=TTLCache(clock=clock), clock=clock)

    def validate(
        self,
        token: str,
        *,
        dpop: ProofRequest | None = None,
        certificate: certificates.Presented = None,
    ) -> Principal:
        """The principal of ``token``; InvalidToken (or InvalidDPoPProof) when it must not be
        accepted, and IssuerUnavailable when the issuer's keys cannot be had at all.

        ``dpop`` is given for a request that used the DPoP scheme (RFC 9449 §7.1): the token
        must then be bound to a key and the request carry a proof of it; without it (the Bearer
        scheme) a bound token is refused. ``certificate`` is the DER of the request's TLS client
        certificate (certificates.CertificateSource), or a function that finds it, asked only
        for a token bound to one (RFC 8705 §3)."""
        parts = _parse(token)
        _check_type(parts.header)
        _check_critical(parts.header)
        alg = _check_algorithm(parts.header, self.issuer.algorithms)
        _check_signature(parts, alg, self.issuer)
        now = self._clock()
        claims = parts.claims
        _check_issuer(claims, self.issuer.url)
        _check_audience(claims, self.audience)
        _check_expiry(claims, now, self._leeway)
        _check_not_before(claims, now, self._leeway)
        _check_issued_at(claims, now, self._leeway)
        _check_subject(claims)
        _check_binding(claims, token, dpop, self._proofs)
        certificates.check(claims, certificate)
        if self._introspector is not None:
            self._introspector.check_active(token, expires=claims["exp"])
        return Principal.from_claims(claims, token)


# --- the checks, in order -----------------------------------------------------------------------
def _parse(token: str) -> _Parts:
    """RFC 7515 §7.1: three base64url parts; a JSON object header and payload (RFC 7519 §7.2)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(_INVALID, detail="not a string, or too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken(_INVALID, detail="not a compact JWS")
    encoded_header, encoded_claims, encoded_signature = parts
    try:
        header = _header(encoded_header)
        claims = _json(b64url_decode(encoded_claims).decode("utf-8"))
        signature = b64url_decode(encoded_signature)
    # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors; RecursionError is
    # JSON nested deeper than the decoder goes.
    except (ValueError, RecursionError):
        raise InvalidToken(_INVALID, detail="undecodable header, payload or signature") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken(_INVALID, detail="header or payload is not a JSON object")
    signing_input = token[: len(encoded_header) + 1 + len(encoded_claims)].encode("ascii")
    return _Parts(header, claims, signing_input, signature)


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


def _check_type(header: dict) -> None:
    """RFC 9068 §4: "Resource servers MUST verify that the typ header value is at+jwt or
    application/at+jwt and reject tokens carrying any other value" (an ID token, a logout
    token, a refresh token signed with the same key must not pass as an access token)."""
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken(_INVALID, detail=f"typ is {typ!r}, not at+jwt")


def _check_critical(header: dict) -> None:
    """RFC 7515 §4.1.11: we understand no extension, so any ``crit`` is a refusal."""
    if "crit" in header:
        raise InvalidToken(_INVALID, detail="crit header present")


def _check_algorithm(header: dict, advertised: frozenset[str]) -> str:
    """RFC 8725 §3.1: only the algorithms the issuer advertises and we support; ``none`` and
    the HMACs are never among them."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in advertised:
        raise InvalidToken(_INVALID, detail=f"alg {alg!r} not among {sorted(advertised)}")
    return alg


def _check_signature(parts: _Parts, alg: str, issuer: Issuer) -> None:
    kid = parts.header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidToken(_INVALID, detail="kid is not a string")
    key = issuer.key(kid, alg)
    if key is None:
        raise InvalidToken(_INVALID, detail=f"no published key {kid!r} for {alg}")
    # The key's own alg (or its type) must allow the header's: VerificationKey.verify checks it.
    if not key.verify(alg, parts.signing_input, parts.signature):
        raise InvalidToken(_INVALID, detail=f"bad {alg} signature for key {kid!r}")


def _check_issuer(claims: dict, issuer: str) -> None:
    """RFC 9068 §4: iss must exactly match the issuer we trust."""
    if claims.get("iss") != issuer:
        raise InvalidToken(_INVALID, detail=f"iss is {claims.get('iss')!r}")


def _check_audience(claims: dict, audience: str) -> None:
    """RFC 9068 §4: aud must name this resource server."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if audience not in audiences:
        raise InvalidToken(
            "the access token is not meant for this service", detail=f"aud is {aud!r}"
        )


def _check_expiry(claims: dict, now: float, leeway: float) -> None:
    """RFC 9068 §2.2: exp is required; RFC 7519 §4.1.4 with a small clock skew."""
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidToken(_INVALID, detail="no numeric exp")
    if now >= exp + leeway:
        raise InvalidToken("the access token expired", detail=f"expired at {exp}")


def _check_not_before(claims: dict, now: float, leeway: float) -> None:
    """RFC 7519 §4.1.5: nbf is optional; when present it must have passed."""
    if "nbf" not in claims:
        return
    nbf = _number(claims, "nbf")
    if nbf is None or now + leeway < nbf:
        raise InvalidToken("the access token is not valid yet", detail=f"nbf is {nbf!r}")


def _check_issued_at(claims: dict, now: float, leeway: float) -> None:
    """RFC 9068 §2.2: iat is required; a token from the future is a forged or a skewed one."""
    iat = _number(claims, "iat")
    if iat is None:
        raise InvalidToken(_INVALID, detail="no numeric iat")
    if iat > now + leeway:
        raise InvalidToken("the access token is not valid yet", detail=f"iat is {iat}")


def _check_subject(claims: dict) -> None:
    """RFC 9068 §2.2: sub is required, and so is the client (client_id, or Keycloak's azp)."""
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken(_INVALID, detail="no sub")
    if not any(isinstance(claims.get(name), str) for name in ("client_id", "azp")):
        raise InvalidToken(_INVALID, detail="no client_id or azp")


def _check_binding(
    claims: dict, token: str, request: ProofRequest | None, proofs: ProofChecker
) -> None:
    """RFC 9449 §7.1: a token bound to a key (``cnf.jkt``) goes with the DPoP scheme and a
    proof of that key, an unbound one with the Bearer scheme."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    if request is None:
        if jkt is not None:
            raise InvalidToken(
                "the access token is bound to a key: send it with the DPoP scheme and a proof",
                detail="a DPoP-bound token presented as a bearer token",
            )
        return
    if not isinstance(jkt, str):
        raise InvalidToken(_INVALID, detail="a token bound to no key presented with DPoP")
    if request is not CHECKED_BY_THE_SERVICE:
        proofs.check(request, access_token=token, jkt=jkt)


def _number(claims: dict, name: str) -> float | None:
    value = claims.get(name)
    # bool is an int in Python, and never a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
