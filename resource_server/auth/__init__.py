"""Access-token validation for a resource server (RFC 6750, RFC 9068, RFC 7662, RFC 8693,
RFC 9449).

Framework-free: only ``cryptography`` and the standard library, with the HTTP client, the
cache and the clock injectable (import-linter forbids Django here). Lift the package into any
service::

    from resource_server.auth import BearerValidator, Issuer

    issuer = Issuer("https://auth.example.com/realms/demo")
    validator = BearerValidator(issuer, audience="orders")
    principal = validator.validate(token)        # or raises a BearerError

A DPoP-bound token (RFC 9449) is validated with its request's proof::

    principal = validator.validate(token, dpop=ProofRequest(proof, "GET", url))

A token bound to a TLS client certificate (RFC 8705) is good only with that certificate:
``validator.validate(token, certificate=CertificateSource().presented(environ))``.

A service that is a client of the issuer also hears of logouts (Back-Channel Logout 1.0)::

    ended = EndedSessions(shared_cache)
    validator = BearerValidator(issuer, audience="orders", ended_sessions=ended)
    logout = LogoutTokenValidator(issuer, client_id="orders-service").validate(logout_token)
    ended.end(sid=logout.sid, sub=logout.sub, at=logout.issued_at)
"""

from resource_server.auth.certificates import CertificateSource
from resource_server.auth.challenge import bearer_token, dpop_token, scheme_of, www_authenticate
from resource_server.auth.dpop import ProofChecker, ProofRequest
from resource_server.auth.ended_sessions import EndedSessions
from resource_server.auth.errors import (
    AccessDenied,
    BearerError,
    InsufficientScope,
    InvalidDPoPProof,
    InvalidRequest,
    InvalidToken,
    IssuerUnavailable,
    MissingToken,
    StoreUnavailable,
)
from resource_server.auth.introspection import Introspector
from resource_server.auth.issuer import Issuer
from resource_server.auth.logout import InvalidLogoutToken, Logout, LogoutTokenValidator
from resource_server.auth.outbound import TokenClient, TokenRequestFailed
from resource_server.auth.principal import Principal
from resource_server.auth.validator import BearerValidator

__all__ = [
    "AccessDenied",
    "BearerError",
    "BearerValidator",
    "CertificateSource",
    "EndedSessions",
    "InsufficientScope",
    "Introspector",
    "InvalidDPoPProof",
    "InvalidLogoutToken",
    "InvalidRequest",
    "InvalidToken",
    "Issuer",
    "IssuerUnavailable",
    "Logout",
    "LogoutTokenValidator",
    "MissingToken",
    "Principal",
    "ProofChecker",
    "ProofRequest",
    "StoreUnavailable",
    "TokenClient",
    "TokenRequestFailed",
    "bearer_token",
    "dpop_token",
    "scheme_of",
    "www_authenticate",
]
