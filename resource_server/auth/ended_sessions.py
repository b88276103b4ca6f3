"""What logout tokens said, kept where every worker of the service reads it: the sessions that
ended (by ``sid``) and the subjects logged out of every session (by ``sub``, with when).

OpenID Connect Back-Channel Logout 1.0 §2.7: a logout token with a ``sid`` ends that session;
one with a ``sub`` alone ends every session of the subject. From then on an access token of an
ended session, or (``sub`` alone) one of the subject's issued at or before the logout, is
refused, for ``remember_seconds``: until it would have expired anyway, so at least the longest
access-token lifetime of the realm.

The store is a cache of Django's shape (``get``, ``get_many``, ``set``): Redis, for a service of
several workers or machines. A request pays one round trip (``get_many`` of two keys). When the
store fails, the token passes, the failure is logged, and the store is left alone for
``pause_seconds`` rather than waited on by every request: a revocation list must not take the
service down, and without it the service does what it did before logout tokens (accept a token
until it expires).
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from resource_server.auth.cache import TTLCache
from resource_server.auth.errors import InvalidToken, StoreUnavailable

log = logging.getLogger(__name__)

ENDED = "the session of the access token has ended"


def _key(kind: str, value: str) -> str:
    # Hashed: a claim may be long or hold characters a cache key must not.
    return f"logout:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


class EndedSessions:
    def __init__(
        self,
        cache=None,
        *,
        remember_seconds: float = 86400,
        pause_seconds: float = 5,
        clock: Callable[[], float] = time.time,
    ):
        self._cache = cache if cache is not None else TTLCache(clock=clock)
        self._remember = remember_seconds
        self._pause = pause_seconds
        self._clock = clock
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def end(self, *, sid: str | None, sub: str | None, at: float) -> None:
        """Remember a logout: the session ``sid``, or with no ``sid`` every session of ``sub``
        up to ``at`` (the logout token's ``iat``, on the issuer's clock as the tokens' are).
        StoreUnavailable when the store fails: the logout is not acknowledged, the issuer
        sends it again."""
        try:
            if sid:
                self._cache.set(_key("sid", sid), at, self._remember)
            elif sub:
                key = _key("sub", sub)
                with self._lock:
                    previous = self._cache.get(key)
                    if previous is None or previous < at:
                        self._cache.set(key, at, self._remember)
        except Exception as error:  # any failure of the store
            raise StoreUnavailable(f"the ended sessions cannot be written: {error}") from error

    def check(self, claims: dict) -> None:
        """InvalidToken when the access token's session ended (``claims`` already passed the
        validator's checks: ``sub`` is a string, ``iat`` a number)."""
        if self._clock() < self._paused_until:
            return
        sid = claims.get("sid")
        sid_key = _key("sid", sid) if isinstance(sid, str) and sid else None
        sub_key = _key("sub", claims["sub"])
        try:
            found = self._cache.get_many([sub_key, sid_key] if sid_key else [sub_key])
        except Exception as error:  # any failure of the store: fail open, loudly
            log.error("ended sessions unread for %s s: %s", self._pause, error)
            self._paused_until = self._clock() + self._pause
            return
        if sid_key is not None and sid_key in found:
            raise InvalidToken(ENDED, detail=f"session {sid} ended by a logout token")
        logged_out = found.get(sub_key)
        if logged_out is not None and claims["iat"] <= logged_out:
            raise InvalidToken(ENDED, detail=f"subject logged out at {logged_out}")
