"""OAuth 2.0 / OIDC errors as a class hierarchy named after their RFC codes.

Each carries a public description (sent to the client) and a private detail (logged only). One
serializer (views/responses.py) emits the public fields; anything else becomes server_error.
"""


class OAuthError(Exception):
    error = "server_error"
    status = 500
    redirectable = True

    def __init__(self, description: str = "", *, detail: str = ""):
        super().__init__(detail or description or self.error)
        self.description = description
        self.detail = detail

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequest(OAuthError):
    error, status = "invalid_request", 400


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: 401 with WWW-Authenticate when the client tried to authenticate."""

    error, status = "invalid_client", 401


class InvalidGrant(OAuthError):
    error, status = "invalid_grant", 400


class UnauthorizedClient(OAuthError):
    error, status = "unauthorized_client", 400


class UnsupportedGrantType(OAuthError):
    error, status = "unsupported_grant_type", 400


class InvalidScope(OAuthError):
    error, status = "invalid_scope", 400


class UnsupportedResponseType(OAuthError):
    """RFC 6749 §4.1.2.1."""

    error, status = "unsupported_response_type", 400


class RequestNotSupported(OAuthError):
    """OIDC Core §3.1.2.6: request objects are not supported."""

    error, status = "request_not_supported", 400


class RequestUriNotSupported(OAuthError):
    """OIDC Core §3.1.2.6."""

    error, status = "request_uri_not_supported", 400


class InvalidToken(OAuthError):
    """RFC 6750 §3.1."""

    error, status = "invalid_token", 401


class InvalidDPoPProof(OAuthError):
    """RFC 9449 §5 (400 at the token endpoint), §7.1 (a resource answers it with 401)."""

    error, status = "invalid_dpop_proof", 400


class UseDPoPNonce(OAuthError):
    """RFC 9449 §8 (400 at the token endpoint), §9 (401 at a resource): the proof must carry
    the nonce the answer gives in its ``DPoP-Nonce`` header."""

    error, status = "use_dpop_nonce", 400

    def __init__(self, description: str = "", *, detail: str = "", nonce: str = ""):
        super().__init__(description, detail=detail)
        self.nonce = nonce


class InsufficientScope(OAuthError):
    error, status = "insufficient_scope", 403


class AccessDenied(OAuthError):
    error, status = "access_denied", 403


class InvalidTarget(OAuthError):
    """RFC 8707 §2."""

    error, status = "invalid_target", 400


class LoginRequired(OAuthError):
    error, status = "login_required", 400


class ConsentRequired(OAuthError):
    error, status = "consent_required", 400


class TemporarilyUnavailable(OAuthError):
    error, status = "temporarily_unavailable", 503


class RateLimited(TemporarilyUnavailable):
    """Too many requests (RFC 6585 §4: 429 with Retry-After). The token endpoint has no error
    code of its own for this; temporarily_unavailable says "try again later" to any client."""

    status = 429

    def __init__(self, retry_after: int, *, detail: str = ""):
        super().__init__(f"too many requests; retry after {retry_after} s", detail=detail)
        self.retry_after = retry_after


class ServerError(OAuthError):
    error, status = "server_error", 500
