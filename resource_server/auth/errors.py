"""Why a request is refused, named after RFC 6750 §3.1's error codes.

Each error carries the HTTP status, the code, a public description (sent to the client) and a
private detail (for the log only: the client learns that its token is invalid, not which check
of ours it failed, beyond what helps it recover).
"""


class BearerError(Exception):
    """An RFC 6750 §3.1 error. ``code`` is empty for a request without authentication
    information, which §3.1 says should get no error code at all."""

    code = ""
    status = 401

    def __init__(self, description: str = "", *, detail: str = ""):
        super().__init__(detail or description)
        self.description = description
        self.detail = detail or description


class MissingToken(BearerError):
    """No bearer token in the request (RFC 6750 §3: just the challenge, no error code)."""


class InvalidRequest(BearerError):
    """A malformed Authorization header, or a token sent more than one way (§3.1)."""

    code = "invalid_request"
    status = 400


class InvalidToken(BearerError):
    """Expired, revoked, malformed, or not for this service (§3.1)."""

    code = "invalid_token"


class InvalidDPoPProof(BearerError):
    """RFC 9449 §7.1: a DPoP-bound token without a good proof of its key for this request."""

    code = "invalid_dpop_proof"

    def __init__(self, description: str = "the DPoP proof is invalid", *, detail: str = ""):
        super().__init__(description, detail=detail)


class InsufficientScope(BearerError):
    """A valid token without the scope the resource requires (§3.1): 403 with the ``scope``
    attribute naming what a new token would need."""

    code = "insufficient_scope"
    status = 403

    def __init__(self, scope: str, *, detail: str = ""):
        super().__init__(f"the scope {scope} is required", detail=detail)
        self.scope = scope


class AccessDenied(BearerError):
    """A valid token whose subject lacks a role, or the ownership, that the resource requires.
    RFC 6750 has one code for "higher privileges": insufficient_scope, without a scope."""

    code = "insufficient_scope"
    status = 403


class IssuerUnavailable(Exception):
    """The authorization server could not be reached (discovery, JWKS, introspection): the
    token may be fine, so the answer is 503, not 401."""


class StoreUnavailable(Exception):
    """The store every worker shares (Redis) failed: a logout cannot be checked or kept now,
    so it is not acknowledged and the issuer sends it again."""
