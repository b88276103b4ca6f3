"""Tokens a service obtains for calling another service.

On a user's behalf: OAuth 2.0 Token Exchange (RFC 8693 §2.1). The user's token names this
service as its audience and must never be forwarded; it is exchanged at the issuer's token
endpoint for a token whose audience is the service to call, whose ``sub`` is still the user and
whose ``act`` names this service.

On its own behalf: the client-credentials grant (RFC 6749 §4.4), cached until shortly before
it expires.
"""

import base64
import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from resource_server.auth import http
from resource_server.auth.cache import TTLCache
from resource_server.auth.issuer import Issuer

log = logging.getLogger(__name__)

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
# A cached token is dropped this long before it expires, so that it never expires in flight.
EARLY_SECONDS = 30


class TokenRequestFailed(Exception):
    """The token endpoint refused (``error`` is its RFC 6749 §5.2 code) or could not be reached
    (``error`` is ``"unavailable"``)."""

    def __init__(self, error: str, *, status: int | None = None, detail: str = ""):
        super().__init__(f"{error}: {detail}" if detail else error)
        self.error = error
        self.status = status

    @property
    def unavailable(self) -> bool:
        return self.status is None or self.status >= 500


def basic_authorization(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: both parts form-urlencoded, then base64 of ``id:secret``."""
    raw = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class TokenClient:
    def __init__(
        self,
        issuer: Issuer,
        *,
        client_id: str,
        client_secret: str,
        fetch: http.Fetch = http.fetch,
        cache=None,
        clock: Callable[[], float] = time.time,
    ):
        self._issuer = issuer
        self.client_id = client_id
        self._authorization = basic_authorization(client_id, client_secret)
        self._fetch = fetch
        self._cache = cache if cache is not None else TTLCache(clock=clock)
        self._lock = threading.Lock()

    def exchange(self, subject_token: str, *, audience: str) -> str:
        """RFC 8693 §2.1: a token for ``audience`` on behalf of ``subject_token``'s subject.
        Not cached: each call on a user's behalf is one exchange, which the issuer may refuse
        at once when the user's session ended."""
        return self._request(
            {
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": subject_token,
                "subject_token_type": ACCESS_TOKEN_TYPE,
                "audience": audience,
            }
        )["access_token"]

    def client_credentials(self, *, scope: str | None = None) -> str:
        """RFC 6749 §4.4: this service's own token, cached until shortly before it expires."""
        key = f"client-credentials:{self.client_id}:{scope or ''}"
        token = self._cache.get(key)
        if token is not None:
            return token
        with self._lock:
            token = self._cache.get(key)
            if token is None:
                form = {"grant_type": "client_credentials"}
                if scope:
                    form["scope"] = scope
                answer = self._request(form)
                token = answer["access_token"]
                self._cache.set(key, token, _lifetime(answer) - EARLY_SECONDS)
        return token

    def forget(self) -> None:
        """Drop cached tokens (after the issuer rejected one)."""
        clear = getattr(self._cache, "clear", None)
        if clear is not None:
            clear()

    def _request(self, form: dict) -> dict:
        endpoint = self._issuer.endpoint("token_endpoint")
        if endpoint is None:
            raise TokenRequestFailed("unavailable", detail="the issuer names no token_endpoint")
        try:
            answer = self._fetch(
                "POST", endpoint, form=form, headers={"Authorization": self._authorization}
            )
        except http.FetchError as error:
            raise TokenRequestFailed("unavailable", detail=str(error)) from error
        try:
            document = answer.json()
        except ValueError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        if answer.status != 200:
            error = document.get("error") if isinstance(document.get("error"), str) else "error"
            log.warning(
                "token endpoint refused %s for %s: HTTP %s %s %s",
                form["grant_type"],
                self.client_id,
                answer.status,
                error,
                document.get("error_description", ""),
            )
            raise TokenRequestFailed(error, status=answer.status)
        if not isinstance(document.get("access_token"), str):
            raise TokenRequestFailed("unavailable", status=502, detail="no access_token")
        return document


def _lifetime(answer: dict) -> float:
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return 0
    return expires_in
