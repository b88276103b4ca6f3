"""Asking the issuer whether a token is still active (RFC 7662), for instant revocation.

A JWT stays valid until it expires; introspection trades one request to the authorization
server (cached for ``cache_seconds``, a few seconds, per token) for learning at once that a
token was revoked or its session ended. The answer is cached under a hash of the token, never
the token itself, so a shared cache (Redis) holds nothing replayable.
"""

import hashlib
import time
from collections.abc import Callable

from resource_server.auth import http
from resource_server.auth.cache import TTLCache
from resource_server.auth.errors import InvalidToken, IssuerUnavailable
from resource_server.auth.issuer import Issuer
from resource_server.auth.outbound import basic_authorization


class Introspector:
    def __init__(
        self,
        issuer: Issuer,
        *,
        client_id: str,
        client_secret: str,
        fetch: http.Fetch = http.fetch,
        cache=None,
        cache_seconds: float = 5,
        clock: Callable[[], float] = time.time,
    ):
        self._issuer = issuer
        self._authorization = basic_authorization(client_id, client_secret)
        self._fetch = fetch
        self._cache = cache if cache is not None else TTLCache(clock=clock)
        self._cache_seconds = cache_seconds
        self._clock = clock

    def check_active(self, token: str, *, expires: float) -> None:
        """InvalidToken unless the issuer says the token is active (RFC 7662 §2.2)."""
        key = "introspection:" + hashlib.sha256(token.encode()).hexdigest()
        active = self._cache.get(key)
        if active is None:
            active = self._ask(token)
            # Never cache past the token's own expiry.
            self._cache.set(key, active, min(self._cache_seconds, expires - self._clock()))
        if not active:
            raise InvalidToken("the access token is not active", detail="introspection: inactive")

    def _ask(self, token: str) -> bool:
        endpoint = self._issuer.endpoint("introspection_endpoint")
        if endpoint is None:
            raise IssuerUnavailable(f"{self._issuer.url} has no introspection_endpoint")
        try:
            answer = self._fetch(
                "POST",
                endpoint,
                form={"token": token, "token_type_hint": "access_token"},
                headers={"Authorization": self._authorization},
            )
        except http.FetchError as error:
            raise IssuerUnavailable(str(error)) from error
        if answer.status != 200:
            # 401 means our own credentials are wrong: an operator's problem, not the caller's.
            raise IssuerUnavailable(f"introspection answered HTTP {answer.status}")
        try:
            document = answer.json()
        except ValueError as error:
            raise IssuerUnavailable("introspection answered with something not JSON") from error
        return isinstance(document, dict) and document.get("active") is True
