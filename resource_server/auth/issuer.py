"""What a resource server knows of its authorization server: the discovery document and the
published keys (OpenID Connect Discovery 1.0 §4, RFC 8414 §3, RFC 7517 §5).

Discovery is fetched once, then the JWKS; both are refreshed after ``max_age_seconds`` (so a
retired key leaves and a change of algorithm arrives). A token signed with a key we have not
seen triggers one refetch of the JWKS, at most once per ``min_refresh_seconds`` whatever the
kids that arrive: key rotation works without a restart, and a flood of tokens with random kids
costs the authorization server one request per interval. Threads that meet the new kid while
one of them refetches wait for its answer rather than refuse the token. The keys are parsed
once per fetch and looked up by kid, so validating a token parses no JSON but its own.
"""

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from resource_server.auth import http
from resource_server.auth.errors import IssuerUnavailable
from resource_server.auth.keys import SUPPORTED_ALGORITHMS, UnusableKey, VerificationKey, parse_jwks

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"


class Issuer:
    def __init__(
        self,
        url: str,
        *,
        fetch: http.Fetch = http.fetch,
        clock: Callable[[], float] = time.time,
        min_refresh_seconds: float = 10,
        max_age_seconds: float = 300,
    ):
        self.url = url.rstrip("/")
        self._fetch = fetch
        self._clock = clock
        self._min_refresh = min_refresh_seconds
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._algorithms: frozenset[str] = frozenset()
        self._by_kid: dict[str, VerificationKey] = {}
        self._without_kid: tuple[VerificationKey, ...] = ()
        self._loaded_at: float | None = None  # when discovery (and the keys) were last loaded
        self._attempted_at: float | None = None  # when a fetch was last tried, successful or not
        self._refetched_at: float | None = None  # when an unknown kid last caused a refetch

    # --- what the validator asks -----------------------------------------------------------------
    @property
    def algorithms(self) -> frozenset[str]:
        """The signing algorithms the issuer advertises (``id_token_signing_alg_values_supported``)
        that we support: never ``none``, never an HMAC."""
        self._ensure_loaded()
        return self._algorithms

    def key(self, kid: str | None, alg: str) -> VerificationKey | None:
        """The published key named ``kid`` (refetching the JWKS once, rate-limited, when it is
        unknown); without a kid, the only published key usable with ``alg``, if exactly one is."""
        self._ensure_loaded()
        if kid is None:
            usable = [key for key in self._all_keys() if alg in key.algorithms]
            return usable[0] if len(usable) == 1 else None
        found = self._by_kid.get(kid)
        if found is None:
            # Under the lock even when this thread will not refetch: another thread may be
            # refetching now (a rotated key meets every thread at once), and its answer is
            # this thread's too. Without a refetch the lock is held for a lookup.
            with self._lock:
                found = self._by_kid.get(kid)
                if found is None and self._may_refetch_keys():
                    log.info("unknown kid %r: fetching the JWKS of %s again", kid, self.url)
                    self._refetched_at = self._clock()
                    try:
                        self._load_keys(self._metadata["jwks_uri"])
                    except IssuerUnavailable as error:
                        log.warning("could not refetch the JWKS of %s: %s", self.url, error)
                    found = self._by_kid.get(kid)
        return found

    def metadata(self) -> dict:
        self._ensure_loaded()
        return self._metadata

    def endpoint(self, name: str) -> str | None:
        """An endpoint of the discovery document, e.g. ``token_endpoint``."""
        value = self.metadata().get(name)
        return value if isinstance(value, str) and _is_http_url(value) else None

    # --- loading ---------------------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        now = self._clock()
        if self._loaded_at is not None and 0 <= now - self._loaded_at < self._max_age:
            return
        with self._lock:
            now = self._clock()
            if self._loaded_at is not None and 0 <= now - self._loaded_at < self._max_age:
                return
            if self._loaded_at is None:
                # Nothing to serve from: fail now, but do not let every request hammer an
                # authorization server that is down.
                if not self._may_refetch():
                    raise IssuerUnavailable(f"{self.url}: still unreachable")
                self._load()
                return
            if self._may_refetch():
                try:
                    self._load()
                except IssuerUnavailable as error:
                    # Stale keys beat no keys: keep verifying with what we have, and try again
                    # after the refetch interval.
                    log.warning("keeping the cached keys of %s: %s", self.url, error)

    def _may_refetch(self) -> bool:
        return _elapsed(self._attempted_at, self._clock(), self._min_refresh)

    def _may_refetch_keys(self) -> bool:
        return _elapsed(self._refetched_at, self._clock(), self._min_refresh)

    def _load(self) -> None:
        metadata = self._get_json(self.url + DISCOVERY_PATH)
        # Discovery §4.3: the document must name exactly the issuer it was fetched for.
        if metadata.get("issuer") != self.url:
            raise IssuerUnavailable(
                f"discovery document names issuer {metadata.get('issuer')!r}, not {self.url!r}"
            )
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not _is_http_url(jwks_uri):
            raise IssuerUnavailable(f"{self.url}: discovery document has no usable jwks_uri")
        advertised = metadata.get("id_token_signing_alg_values_supported")
        if not isinstance(advertised, list):
            advertised = []
        self._load_keys(jwks_uri)
        self._metadata = metadata
        self._algorithms = SUPPORTED_ALGORITHMS.intersection(
            alg for alg in advertised if isinstance(alg, str)
        )
        self._loaded_at = self._clock()

    def _load_keys(self, jwks_uri: str) -> None:
        try:
            keys = parse_jwks(self._get_json(jwks_uri))
        except UnusableKey as error:
            raise IssuerUnavailable(f"{jwks_uri}: {error}") from error
        self._by_kid = {key.kid: key for key in keys if key.kid is not None}
        self._without_kid = tuple(key for key in keys if key.kid is None)

    def _all_keys(self):
        return [*self._by_kid.values(), *self._without_kid]

    def _get_json(self, url: str) -> dict:
        self._attempted_at = self._clock()
        try:
            answer = self._fetch("GET", url)
        except http.FetchError as error:
            raise IssuerUnavailable(str(error)) from error
        if answer.status != 200:
            raise IssuerUnavailable(f"GET {url}: HTTP {answer.status}")
        try:
            document = answer.json()
        except ValueError as error:
            raise IssuerUnavailable(f"GET {url}: not JSON") from error
        if not isinstance(document, dict):
            raise IssuerUnavailable(f"GET {url}: not a JSON object")
        return document


def _elapsed(since: float | None, now: float, interval: float) -> bool:
    """Whether ``interval`` has passed ``since``; a clock set back counts as passed rather than
    blocking until it catches up."""
    return since is None or not 0 <= now - since < interval


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
