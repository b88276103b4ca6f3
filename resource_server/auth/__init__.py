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
"""

from resource_server.auth.certificates import CertificateSource
from resource_server.auth.challenge import bearer_token, dpop_token, scheme_of, www_authenticate
from resource_server.auth.dpop import ProofChecker, ProofRequest
from resource_server.auth.errors import (
    AccessDenied,
    BearerError,
    InsufficientScope,
    InvalidDPoPProof,
    InvalidRequest,
    InvalidToken,
    IssuerUnavailable,
    MissingToken,
)
from resource_server.auth.introspection import Introspector
from resource_server.auth.issuer import Issuer
from resource_server.auth.outbound import TokenClient, TokenRequestFailed
from resource_server.auth.principal import Principal
from resource_server.auth.validator import BearerValidator

__all__ = [
    "AccessDenied",
    "BearerError",
    "BearerValidator",
    "CertificateSource",
    "InsufficientScope",
    "Introspector",
    "InvalidDPoPProof",
    "InvalidRequest",
    "InvalidToken",
    "Issuer",
    "IssuerUnavailable",
    "MissingToken",
    "Principal",
    "ProofChecker",
    "ProofRequest",
    "TokenClient",
    "TokenRequestFailed",
    "bearer_token",
    "dpop_token",
    "scheme_of",
    "www_authenticate",
]
