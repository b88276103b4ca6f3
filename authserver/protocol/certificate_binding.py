"""Certificate-bound tokens (RFC 8705 §3): a token of a client that turns on Keycloak's
``tls.client.certificate.bound.access.tokens`` carries ``cnf: {"x5t#S256": ...}``, the
thumbprint of the certificate the client used at the token endpoint, and is good only in the
hands of whoever holds that certificate's key.

- The token endpoint (:func:`bind`): once the client is known (authenticated, or a public
  client named by ``client_id``), its tokens are bound to the certificate of the request; a
  client that binds and presents none is refused (``invalid_request``, as Keycloak does).
  protocol/tokens.py writes ``request.cnf`` into the access token, and into the refresh token of
  a public client (§4; a confidential client's refresh token is bound by its authentication).
- A refresh (:func:`refresh_refusal`): a bound refresh token is refused (``invalid_grant``)
  from a connection with another certificate or none.
- Where a token is presented to us as a bearer (UserInfo, the account and admin APIs:
  :func:`check_presenter`): a bound token is refused (``invalid_token``) unless the request's
  certificate is the one it is bound to; a bound refresh token likewise at the logout by
  refresh token (``invalid_grant``). Introspection returns ``cnf`` with the token's claims
  for a resource server to check (§3.2).

A client that does not bind costs one dictionary lookup; an unbound token, another.
"""

import hmac
import logging

from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors

from authserver.protocol import certificates
from authserver.protocol.backend import CONNECTION
from authserver.protocol.errors import InvalidToken

log = logging.getLogger(__name__)

THUMBPRINT = "x5t#S256"
INVALID = "the access token is bound to another certificate"


def presented(request) -> certificates.Certificate | None:
    """The certificate of an oauthlib request's connection (backend.py passes it on)."""
    connection = request.headers.get(CONNECTION)
    return connection.certificate() if connection is not None else None


def bind(request) -> None:
    """At the token endpoint, once ``request.client`` is known: its tokens' confirmation."""
    if not request.client.binds_certificate:
        return
    certificate = presented(request)
    if certificate is None:
        log.info("invalid_request: %s binds its tokens and sent no certificate", request.client)
        raise oauthlib_errors.InvalidRequestError(
            description="client certificate missing for certificate-bound tokens",
            request=request,
        )
    request.cnf = {**(getattr(request, "cnf", None) or {}), THUMBPRINT: certificate.thumbprint}


def bound_to(claims: dict) -> str | None:
    """The thumbprint a token is bound to, or None."""
    confirmation = claims.get("cnf")
    return confirmation.get(THUMBPRINT) if isinstance(confirmation, dict) else None


def _refusal(expected: str, certificate: certificates.Certificate | None) -> str | None:
    if certificate is None:
        return "bound to a certificate, and none was presented"
    if not hmac.compare_digest(certificate.thumbprint, str(expected)):
        return "bound to another certificate"
    return None


def refresh_refusal(claims: dict, request) -> str | None:
    """Why a refresh token may not be used on this request's connection, or None."""
    expected = bound_to(claims)
    return None if expected is None else _refusal(expected, presented(request))


def presenter_refusal(claims: dict, environ) -> str | None:
    """Why a token may not be used on the request of WSGI ``environ``, or None."""
    expected = bound_to(claims)
    return None if expected is None else _refusal(expected, certificates.presented(environ))


def check_presenter(claims: dict, environ) -> None:
    """RFC 8705 §3: a bound access token presented on a connection without its certificate is
    InvalidToken."""
    reason = presenter_refusal(claims, environ)
    if reason:
        raise InvalidToken(INVALID, detail=f"access token refused: {reason}")
