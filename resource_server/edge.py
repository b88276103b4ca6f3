"""Edge protection, as middleware in front of the views: CORS for the configured origins, a
request-body size limit, an IP allowlist for ``/api/admin/``, and per-client rate limiting.

In the service's MIDDLEWARE, in this order::

    CorsMiddleware                  outermost, so that every answer (401, 413, 429) carries CORS
    BodySizeLimitMiddleware         413 before anything reads the body
    AdminAllowlistMiddleware        403 for /api/admin/ from elsewhere, token or not
    BearerAuthenticationMiddleware  (resource_server.authentication)
    RateLimitMiddleware             per client, hence after authentication
"""

import logging
import time

from django.core.cache import caches

from resource_server import responses, wiring
from resource_server.auth import addresses
from resource_server.ratelimit import TokenBucket

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/api/admin/"


# --- CORS ---------------------------------------------------------------------------------------
class CorsMiddleware:
    """CORS (Fetch standard) for ``RS_CORS_ORIGINS``, exact origins only. Bearer tokens, not
    cookies: no ``Access-Control-Allow-Credentials``."""

    ALLOW_METHODS = "GET, POST, DELETE, OPTIONS"
    ALLOW_HEADERS = "Authorization, Content-Type, DPoP"
    # Headers a browser script needs to read to recover: the challenge, when to retry.
    EXPOSE_HEADERS = "WWW-Authenticate, Retry-After, X-RateLimit-Remaining"
    MAX_AGE = "600"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = request.headers.get("Origin")
        allowed = origin is not None and origin.lower() in wiring.config().cors_origins
        preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if preflight:
            if not allowed:
                response = responses.error("forbidden", "origin not allowed", status=403)
            else:
                response = responses.no_content()
                response["Access-Control-Allow-Methods"] = self.ALLOW_METHODS
                response["Access-Control-Allow-Headers"] = self.ALLOW_HEADERS
                response["Access-Control-Max-Age"] = self.MAX_AGE
        else:
            response = self.get_response(request)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            if not preflight:
                response["Access-Control-Expose-Headers"] = self.EXPOSE_HEADERS
        # The answer depends on Origin whether or not it was allowed.
        _vary(response, "Origin")
        return response


def _vary(response, header: str) -> None:
    present = [each.strip() for each in response.get("Vary", "").split(",") if each.strip()]
    if header.lower() not in {each.lower() for each in present}:
        response["Vary"] = ", ".join([*present, header])


# --- request size -------------------------------------------------------------------------------
class BodySizeLimitMiddleware:
    """413 for a body larger than ``RS_MAX_BODY_BYTES`` (RFC 9110 §15.5.14), decided on the
    Content-Length before a byte of it is read. Django reads at most Content-Length bytes, so a
    body without one (chunked) is never read at all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return responses.error("invalid_request", "bad Content-Length", status=400)
        limit = wiring.config().max_body_bytes
        if length > limit:
            log.info(
                "%s %s refused: body of %s bytes > %s", request.method, request.path, length, limit
            )
            return responses.error(
                "request_too_large", f"the request body exceeds {limit} bytes", status=413
            )
        return self.get_response(request)


# --- admin allowlist ----------------------------------------------------------------------------
class AdminAllowlistMiddleware:
    """``/api/admin/`` answers only to ``RS_ADMIN_ALLOWLIST`` (default: loopback), whatever the
    token: a stolen admin token is of no use from elsewhere. The address is the TCP peer
    (REMOTE_ADDR); behind a proxy, enforce the allowlist at the proxy as well."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(ADMIN_PREFIX) and not _allowed(request.META.get("REMOTE_ADDR")):
            log.warning(
                "%s %s refused: %s is not allowlisted",
                request.method,
                request.path,
                request.META.get("REMOTE_ADDR"),
            )
            return responses.error("forbidden", "not allowed from this address", status=403)
        return self.get_response(request)


def _allowed(address: str | None) -> bool:
    return addresses.within(address, wiring.config().admin_allowlist)


# --- rate limiting ------------------------------------------------------------------------------
class RateLimitMiddleware:
    """429 with ``Retry-After`` (RFC 6585 §4) once a client exceeds ``RS_RATE_BURST`` requests
    at once or ``RS_RATE_REPLENISH`` per second. The key is the token's client; a request without
    a token, the peer address. Off without Redis, or with ``RS_RATE_REPLENISH=0``. When Redis
    fails, requests pass (a rate limiter must not take the service down), it is logged, and
    Redis is left alone for ``PAUSE_SECONDS`` rather than tried again by every request."""

    PAUSE_SECONDS = 5

    def __init__(self, get_response):
        self.get_response = get_response
        self._bucket = _bucket()
        self._paused_until = 0.0

    def __call__(self, request):
        if self._bucket is None or time.monotonic() < self._paused_until:
            return self.get_response(request)
        principal = getattr(request, "principal", None)
        key = (
            f"client:{principal.client}"
            if principal and principal.client
            else ("ip:" + (request.META.get("REMOTE_ADDR") or "-"))
        )
        try:
            allowed, left, retry_after = self._bucket.take(key)
        except Exception as error:  # any Redis failure: fail open, loudly
            log.error("rate limiting paused for %s s: %s", self.PAUSE_SECONDS, error)
            self._paused_until = time.monotonic() + self.PAUSE_SECONDS
            return self.get_response(request)
        headers = {
            "X-RateLimit-Remaining": str(int(left)),
            "X-RateLimit-Burst-Capacity": str(self._bucket.capacity),
            "X-RateLimit-Replenish-Rate": f"{self._bucket.rate:g}",
        }
        if allowed:
            response = self.get_response(request)
        else:
            log.info("%s %s rate-limited: %s", request.method, request.path, key)
            response = responses.error(
                "too_many_requests", "slow down", status=429, Retry_After=str(retry_after)
            )
        for name, value in headers.items():
            response[name] = value
        return response


def _bucket() -> TokenBucket | None:
    config = wiring.config()
    if not config.redis_url or config.rate_replenish <= 0:
        log.warning("rate limiting is off (it needs REDIS_URL and RS_RATE_REPLENISH > 0)")
        return None
    from django_redis import get_redis_connection

    return TokenBucket(
        get_redis_connection("default"),
        rate=config.rate_replenish,
        capacity=config.rate_burst,
        prefix=caches["default"].key_prefix or f"rs-{config.name}",
    )
