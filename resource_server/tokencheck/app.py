"""``GET /check/NAME``: may this request go on to the service NAME? nginx's ``auth_request``
sends the client's Authorization header and address (X-Real-IP) and no body.

nginx lets a request through on a 2xx and answers the client itself on a 401 or a 403 (any
other status of a subrequest would become a 500), so a refusal is a 401 or a 403 carrying the
answer the gateway gives in its headers: X-Gateway-Status (400, 401, 403, 429 or 503),
X-Gateway-Error and X-Gateway-Error-Description (RFC 6750 §3.1's code and description),
WWW-Authenticate (RFC 6750 §3) and Retry-After (RFC 6585 §4, RFC 9110 §10.2.3).
"""

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from resource_server.auth import (
    BearerError,
    BearerValidator,
    InsufficientScope,
    Introspector,
    InvalidDPoPProof,
    Issuer,
    IssuerUnavailable,
    MissingToken,
    bearer_token,
    dpop_token,
    http,
    scheme_of,
    www_authenticate,
)
from resource_server.auth.cache import TTLCache
from resource_server.auth.certificates import from_header
from resource_server.auth.challenge import DPOP
from resource_server.auth.dpop import CHECKED_BY_THE_SERVICE
from resource_server.tokencheck.config import CheckConfig, Route
from resource_server.tokencheck.limiter import Limiter

log = logging.getLogger(__name__)

PREFIX = "/check/"
# Where the gateway forwards the client's TLS certificate (docs/gateway.md).
CERTIFICATE_HEADER = "HTTP_SSL_CLIENT_CERT"
# RFC 6750 §3's characters for a description, so that nginx may put it in a JSON string as is.
_UNSAFE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


@dataclass(frozen=True)
class Decision:
    status: int  # what the client gets: 204 goes on to the service
    error: str = ""
    description: str = ""
    challenge: str = ""
    retry_after: int = 0
    client: str = ""
    remaining: float | None = None


@dataclass(frozen=True)
class _Validated:
    """What is kept under a token's hash: its client, or why it was refused."""

    client: str = ""
    refusal: BearerError | None = None


class TokenCheck:
    def __init__(
        self,
        config: CheckConfig,
        *,
        limiter: Limiter | None = None,
        fetch: http.Fetch = http.fetch,
        clock: Callable[[], float] = time.time,
    ):
        self._config = config
        self._clock = clock
        issuer = Issuer(config.issuer, fetch=fetch, clock=clock)
        introspector = None
        if config.introspect:
            introspector = Introspector(
                issuer,
                client_id=config.client_id,
                client_secret=config.client_secret,
                fetch=fetch,
                # The whole answer is kept below, for as long: a second cache would double the
                # time a revoked token still passes.
                cache_seconds=0,
                clock=clock,
            )
        self._validators = {
            name: BearerValidator(
                issuer,
                audience=route.audience,
                leeway_seconds=config.leeway_seconds,
                clock=clock,
                introspector=introspector,
            )
            for name, route in config.routes.items()
        }
        self._validated = TTLCache(max_entries=50_000, clock=clock)
        self._limiter = limiter or Limiter.from_config(config)

    # --- WSGI ------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        name = path.removeprefix(PREFIX) if path.startswith(PREFIX) else ""
        if name not in self._config.routes:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        decision = self.decide(
            name,
            authorization=environ.get("HTTP_AUTHORIZATION"),
            address=environ.get("HTTP_X_REAL_IP") or environ.get("REMOTE_ADDR") or "-",
            request_id=_UNSAFE.sub("", environ.get("HTTP_X_REQUEST_ID", ""))[:128] or "-",
            has_proof=bool(environ.get("HTTP_DPOP")),
            # Believed as X-Real-IP is: the gateway is the check's only caller.
            certificate=environ.get(CERTIFICATE_HEADER),
        )
        start_response(*_answer(decision))
        return [b""]

    # --- the decision ----------------------------------------------------------------------------
    def decide(
        self,
        name: str,
        *,
        authorization: str | None,
        address: str,
        request_id: str = "-",
        has_proof: bool = False,
        certificate: str | None = None,
    ) -> Decision:
        """``certificate``: the client's TLS certificate as the gateway forwards it (RFC 8705:
        a token bound to one passes only with it)."""
        route = self._config.routes[name]
        scheme = scheme_of(authorization)
        try:
            if scheme == DPOP:
                # RFC 9449 §7.1: the token must be bound; the service checks its proof.
                validated = self._validate(
                    name, dpop_token(authorization), certificate, scheme=DPOP
                )
                if validated.refusal is None and not has_proof:
                    refusal = InvalidDPoPProof("a DPoP proof is required", detail="no DPoP header")
                    validated = _Validated(client=validated.client, refusal=refusal)
            else:
                token = bearer_token(authorization)
                validated = (
                    _Validated(refusal=MissingToken())
                    if token is None
                    else self._validate(name, token, certificate)
                )
        except BearerError as malformed:
            validated = _Validated(refusal=malformed)
        except IssuerUnavailable as error:
            log.error("cannot validate tokens for %s (request %s): %s", name, request_id, error)
            return Decision(
                503,
                "temporarily_unavailable",
                "the authorization server cannot be reached",
                retry_after=5,
            )
        key = f"client:{validated.client}" if validated.client else f"ip:{address}"
        allowed, remaining, retry_after = self._limiter.take(key)
        if not allowed:
            log.info("%s rate-limited: %s (request %s)", name, key, request_id)
            return Decision(
                429, "too_many_requests", "slow down", retry_after=retry_after, remaining=0
            )
        if validated.refusal is not None:
            return _refusal(
                validated.refusal,
                route,
                f"{name} refused for {address}",
                request_id,
                remaining,
                scheme=scheme,
            )
        return Decision(204, client=validated.client, remaining=remaining)

    def _validate(
        self, name: str, token: str, certificate: str | None, *, scheme: str = "Bearer"
    ) -> _Validated:
        # The certificate is part of what was judged: a bound token's answer holds for it only.
        presented = hashlib.sha256((certificate or "").encode()).hexdigest()
        key = f"{name}:{scheme}:{hashlib.sha256(token.encode()).hexdigest()}:{presented}"
        kept = self._validated.get(key)
        if kept is not None:
            return kept
        route = self._config.routes[name]
        seconds = self._config.cache_seconds
        try:
            binding = CHECKED_BY_THE_SERVICE if scheme == DPOP else None
            principal = self._validators[name].validate(
                token, dpop=binding, certificate=lambda: from_header(certificate)
            )
            if route.scopes and not principal.scopes.intersection(route.scopes):
                raise InsufficientScope(
                    " ".join(route.scopes), detail=f"{principal.client} has none of them"
                )
            kept = _Validated(client=_UNSAFE.sub("", principal.client or "") or "-")
            # Never kept past the token's own expiry.
            seconds = min(seconds, principal.claims["exp"] - self._clock())
        except BearerError as refusal:
            kept = _Validated(refusal=refusal)
        self._validated.set(key, kept, seconds)
        return kept


def _refusal(
    refusal: BearerError,
    route: Route,
    what: str,
    request_id: str,
    remaining: float,
    *,
    scheme: str = "Bearer",
) -> Decision:
    log.info(
        "%s (%s %s, request %s): %s",
        what,
        refusal.status,
        refusal.code or "no token",
        request_id,
        refusal.detail,
    )
    return Decision(
        refusal.status,
        refusal.code or "unauthorized",
        _UNSAFE.sub("", refusal.description or "a bearer token is required"),
        challenge=www_authenticate(refusal, realm=route.audience, scheme=scheme, offer_dpop=True),
        remaining=remaining,
    )


def _answer(decision: Decision) -> tuple[str, list[tuple[str, str]]]:
    headers = [("Content-Length", "0"), ("Cache-Control", "no-store")]
    if decision.remaining is not None:
        headers.append(("X-RateLimit-Remaining", str(int(decision.remaining))))
    if decision.status == 204:
        headers.append(("X-Gateway-Client", decision.client))
        return "204 No Content", headers
    headers += [
        ("X-Gateway-Status", str(decision.status)),
        ("X-Gateway-Error", decision.error),
        ("X-Gateway-Error-Description", decision.description),
    ]
    if decision.challenge:
        headers.append(("WWW-Authenticate", decision.challenge))
    if decision.retry_after:
        headers.append(("Retry-After", str(decision.retry_after)))
    if decision.status == 401:
        return "401 Unauthorized", headers
    return "403 Forbidden", headers
