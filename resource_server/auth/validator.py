"""Validating a JWT access token (RFC 9068 §4) as a resource server must.

The compact JWS is taken apart and its signature checked with ``cryptography`` directly
(jws.py): a general JWT library re-parses the key and the token on every call, which is several
times slower than the signature check itself. The checks run in the order of
:meth:`BearerValidator.validate`, each a small function raising one typed error.
"""

import time
from collections.abc import Callable

from resource_server.auth import certificates, jws
from resource_server.auth.cache import TTLCache
from resource_server.auth.dpop import CHECKED_BY_THE_SERVICE, ProofChecker, ProofRequest
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
    rather than when it expires. ``proofs`` checks the DPoP proofs of DPoP-bound tokens (RFC
    9449 §7); by default with a replay cache of this process only: give one whose cache the
    service's workers share.
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
        ended_sessions: EndedSessions | None = None,
    ):
        self.issuer = issuer
        self.audience = audience
        self._leeway = leeway_seconds
        self._clock = clock
        self._introspector = introspector
        self._proofs = proofs or ProofChecker(replay_cache=TTLCache(clock=clock), clock=clock)
        self._ended_sessions = ended_sessions

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
        _check_binding(claims, token, dpop, self._proofs)
        certificates.check(claims, certificate)
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
