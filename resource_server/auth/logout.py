"""Receiving a logout token: OpenID Connect Back-Channel Logout 1.0 §2.6, for a service that is
a client of the issuer (its client id is the token's audience).

:meth:`LogoutTokenValidator.validate` runs the section's steps in order, each a small check
raising :class:`InvalidLogoutToken`: the signature as an ID token's (the issuer's published keys
and advertised algorithms, never ``none``), ``iss``, ``aud``, a fresh ``iat``, ``exp`` when
present, ``jti``, the back-channel logout event, ``sub`` and/or ``sid``, no ``nonce``, and last
a ``jti`` not seen before (so that a refused token does not spend its ``jti``). The endpoint
answers every refusal alike (§2.8: 400, ``invalid_request``); the reason goes to the log.

Encrypted logout tokens (a JWE) are not supported: the service registers no encryption key.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from resource_server.auth import jws
from resource_server.auth.cache import TTLCache
from resource_server.auth.errors import InvalidToken, StoreUnavailable
from resource_server.auth.issuer import Issuer

EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4 (explicit typing, RFC 8725 §3.11): logout+jwt, or the full media type; a token without a
# typ (or the generic JWT) is accepted too, as issuers before explicit typing send it. Any other
# type is another kind of token (an access token, at+jwt) and is refused.
LOGOUT_TOKEN_TYPES = frozenset({"logout+jwt", "application/logout+jwt", "jwt"})
# How old a logout token may be when it arrives (its iat; the issuer's own exp when shorter).
MAX_AGE_SECONDS = 120


class InvalidLogoutToken(Exception):
    """§2.6: the token is rejected; §2.8: 400 with ``invalid_request``. ``detail`` is for the
    log only."""

    code = "invalid_request"
    description = "the logout token is invalid"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Logout:
    """What a valid logout token says: a session (``sid``), or every session of ``sub``."""

    sub: str | None
    sid: str | None
    issued_at: float
    jti: str


class LogoutTokenValidator:
    """Validates the logout tokens of one issuer for one client; thread-safe, one per process.

    ``replay_cache`` keeps the ``jti`` of each accepted token (Django's ``add`` shape, atomic):
    a shared cache, so that a token replayed to another worker is refused as well.
    """

    def __init__(
        self,
        issuer: Issuer,
        *,
        client_id: str,
        replay_cache=None,
        leeway_seconds: float = 30,
        max_age_seconds: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self.issuer = issuer
        self.client_id = client_id
        self._replays = replay_cache if replay_cache is not None else TTLCache(clock=clock)
        self._leeway = leeway_seconds
        self._max_age = max_age_seconds
        self._clock = clock

    def validate(self, token: str) -> Logout:
        """The logout ``token`` says, or InvalidLogoutToken; IssuerUnavailable when the
        issuer's keys cannot be had at all, StoreUnavailable when the replay cache fails."""
        parts = _signed(token, self.issuer)
        claims = parts.claims
        now = self._clock()
        _check_issuer(claims, self.issuer.url)
        _check_audience(claims, self.client_id)
        _check_issued_at(claims, now, self._leeway, self._max_age)
        _check_expiry(claims, now, self._leeway)
        _check_jti(claims)
        _check_event(claims)
        _check_subject_or_session(claims)
        _check_no_nonce(claims)
        self._check_not_replayed(claims, now)
        return Logout(
            sub=claims.get("sub"), sid=claims.get("sid"), issued_at=claims["iat"], jti=claims["jti"]
        )

    def _check_not_replayed(self, claims: dict, now: float) -> None:
        """§2.6 step 8: a jti is accepted once, for as long as its token could be accepted."""
        until = max(claims["iat"] + self._max_age, jws.number(claims, "exp") or 0) + self._leeway
        seen = hashlib.sha256(f"{self.issuer.url} {claims['jti']}".encode()).hexdigest()
        try:
            added = self._replays.add(f"logout-jti:{seen}", 1, max(until - now, 1))
        except Exception as error:  # any failure of the store
            raise StoreUnavailable(f"the replay cache failed: {error}") from error
        if not added:
            raise InvalidLogoutToken(f"jti {claims['jti']!r} was received before")


# --- the checks, in order -----------------------------------------------------------------------
def _signed(token: str, issuer: Issuer) -> jws.Parts:
    """§2.6 steps 1-3: a JWS (not encrypted), of a logout token's type, signed by the issuer with
    an algorithm it advertises for ID tokens."""
    if isinstance(token, str) and token.count(".") == 4:
        raise InvalidLogoutToken("an encrypted logout token (JWE) is not supported")
    try:
        parts = jws.parse(token)
        _check_type(parts.header)
        jws.check_critical(parts.header)
        alg = jws.check_algorithm(parts.header, issuer.algorithms)
        jws.check_signature(parts, alg, issuer)
    except InvalidToken as error:
        raise InvalidLogoutToken(error.detail) from None
    return parts


def _check_type(header: dict) -> None:
    typ = header.get("typ")
    if typ is None:
        return
    if not isinstance(typ, str) or typ.lower() not in LOGOUT_TOKEN_TYPES:
        raise InvalidToken(jws.INVALID, detail=f"typ is {typ!r}, not logout+jwt")


def _check_issuer(claims: dict, issuer: str) -> None:
    """Step 4, as for an ID token (OIDC Core §3.1.3.7 step 2): exactly the issuer we trust."""
    if claims.get("iss") != issuer:
        raise InvalidLogoutToken(f"iss is {claims.get('iss')!r}")


def _check_audience(claims: dict, client_id: str) -> None:
    """Step 4, as for an ID token (step 3): aud contains our client id."""
    if not client_id or client_id not in jws.audiences(claims):
        raise InvalidLogoutToken(f"aud is {claims.get('aud')!r}, not {client_id!r}")


def _check_issued_at(claims: dict, now: float, leeway: float, max_age: float) -> None:
    """Step 4, as for an ID token (step 10): iat is required and recent, not in the future."""
    iat = jws.number(claims, "iat")
    if iat is None:
        raise InvalidLogoutToken("no numeric iat")
    if iat > now + leeway:
        raise InvalidLogoutToken(f"iat {iat} is in the future")
    if iat < now - max_age - leeway:
        raise InvalidLogoutToken(f"iat {iat} is more than {max_age} s old")


def _check_expiry(claims: dict, now: float, leeway: float) -> None:
    """Step 4, as for an ID token (step 9), when the token has one."""
    if "exp" not in claims:
        return
    exp = jws.number(claims, "exp")
    if exp is None:
        raise InvalidLogoutToken("exp is not a number")
    if now >= exp + leeway:
        raise InvalidLogoutToken(f"expired at {exp}")


def _check_jti(claims: dict) -> None:
    """§2.4: jti is REQUIRED (step 8 needs it)."""
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidLogoutToken("no jti")


def _check_event(claims: dict) -> None:
    """Step 6: events holds the back-channel logout event, whose value is a JSON object."""
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
        raise InvalidLogoutToken("no back-channel logout event")


def _check_subject_or_session(claims: dict) -> None:
    """Step 5: a sub, a sid, or both (each a non-empty string where present)."""
    present = [name for name in ("sub", "sid") if name in claims]
    if not present:
        raise InvalidLogoutToken("neither sub nor sid")
    for name in present:
        if not isinstance(claims[name], str) or not claims[name]:
            raise InvalidLogoutToken(f"{name} is not a non-empty string")


def _check_no_nonce(claims: dict) -> None:
    """Step 7: a nonce would make it an ID token (§2.4: prohibited)."""
    if "nonce" in claims:
        raise InvalidLogoutToken("a nonce is present")
