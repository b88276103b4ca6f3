"""Validating a JWT access token (RFC 9068 §4) as a resource server must.

The compact JWS is taken apart and its signature checked with ``cryptography`` directly
(jws.py): a general JWT library re-parses the key and the token on every call, which is several
times slower than the signature check itself. The checks run in the order of
:meth:`BearerValidator.validate`, each a small function raising one typed error.
"""

import time
from collections.abc import Callable

from resource_server.auth import jws
from resource_server.auth.ended_sessions import EndedSessions
from resource_server.auth.errors import InvalidToken
from resource_server.auth.introspection import Introspector
from resource_server.auth.issuer import Issuer
from resource_server.auth.principal import Principal

# RFC 9068 §2.1 "at+jwt"; RFC 8725 §3.11 allows the full media type (case-insensitive, RFC 2045).
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})

_INVALID = jws.INVALID


class BearerValidator:
    """Validates access tokens of one issuer for one audience; thread-safe, one per process.

    ``leeway_seconds`` is the clock skew tolerated on ``exp``, ``nbf`` and ``iat``. With
    ``ended_sessions``, a token of a session a logout token ended (Back-Channel Logout 1.0) is
    refused from then on. With an ``introspector``, a token that passes every local check is
    also asked about at the issuer (RFC 7662), so that a revoked token stops working at once
    rather than when it expires.
    """

    def __init__(
        self,
        issuer: Issuer,
        *,
        audience: str,
        leeway_seconds: float = 30,
        clock: Callable[[], float] = time.time,
        introspector: Introspector | None = None,
        ended_sessions: EndedSessions | None = None,
    ):
        self.issuer = issuer
        self.audience = audience
        self._leeway = leeway_seconds
        self._clock = clock
        self._introspector = introspector
        self._ended_sessions = ended_sessions

    def validate(self, token: str) -> Principal:
        """The principal of ``token``; InvalidToken when it must not be accepted, and
        IssuerUnavailable when the issuer's keys cannot be had at all."""
        parts = jws.parse(token)
        _check_type(parts.header)
        jws.check_critical(parts.header)
        alg = jws.check_algorithm(parts.header, self.issuer.algorithms)
        jws.check_signature(parts, alg, self.issuer)
        now = self._clock()
        claims = parts.claims
        _check_issuer(claims, self.issuer.url)
        _check_audience(claims, self.audience)
        _check_expiry(claims, now, self._leeway)
        _check_not_before(claims, now, self._leeway)
        _check_issued_at(claims, now, self._leeway)
        _check_subject(claims)
        # Before the introspector: nothing it cached for the session outlives the logout.
        if self._ended_sessions is not None:
            self._ended_sessions.check(claims)
        if self._introspector is not None:
            self._introspector.check_active(token, expires=claims["exp"])
        return Principal.from_claims(claims, token)


# --- the checks, in order (parsing and the signature: jws.py) ---------------------------------
def _check_type(header: dict) -> None:
    """RFC 9068 §4: "Resource servers MUST verify that the typ header value is at+jwt or
    application/at+jwt and reject tokens carrying any other value" (an ID token, a logout
    token, a refresh token signed with the same key must not pass as an access token)."""
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken(_INVALID, detail=f"typ is {typ!r}, not at+jwt")


def _check_issuer(claims: dict, issuer: str) -> None:
    """RFC 9068 §4: iss must exactly match the issuer we trust."""
    if claims.get("iss") != issuer:
        raise InvalidToken(_INVALID, detail=f"iss is {claims.get('iss')!r}")


def _check_audience(claims: dict, audience: str) -> None:
    """RFC 9068 §4: aud must name this resource server."""
    if audience not in jws.audiences(claims):
        raise InvalidToken(
            "the access token is not meant for this service", detail=f"aud is {claims.get('aud')!r}"
        )


def _check_expiry(claims: dict, now: float, leeway: float) -> None:
    """RFC 9068 §2.2: exp is required; RFC 7519 §4.1.4 with a small clock skew."""
    exp = jws.number(claims, "exp")
    if exp is None:
        raise InvalidToken(_INVALID, detail="no numeric exp")
    if now >= exp + leeway:
        raise InvalidToken("the access token expired", detail=f"expired at {exp}")


def _check_not_before(claims: dict, now: float, leeway: float) -> None:
    """RFC 7519 §4.1.5: nbf is optional; when present it must have passed."""
    if "nbf" not in claims:
        return
    nbf = jws.number(claims, "nbf")
    if nbf is None or now + leeway < nbf:
        raise InvalidToken("the access token is not valid yet", detail=f"nbf is {nbf!r}")


def _check_issued_at(claims: dict, now: float, leeway: float) -> None:
    """RFC 9068 §2.2: iat is required; a token from the future is a forged or a skewed one."""
    iat = jws.number(claims, "iat")
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
