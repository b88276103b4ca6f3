"""Who is calling: the access token of each request, validated, as ``request.principal``: a
bearer token (RFC 6750), or a DPoP-bound one with the proof of its key (RFC 9449 §7.1).

Deny by default: a view answers a request without a valid token only if it is marked
:func:`resource_server.authorization.public`. A token that is present but invalid is refused
everywhere, public views included (RFC 6750 §3.1), so a client learns at once that its token
is no good. The authorization decorators raise :class:`BearerError`; this middleware turns every
one of them into the RFC 6750 response.
"""

import logging

from resource_server import responses, wiring
from resource_server.auth import (
    BearerError,
    IssuerUnavailable,
    MissingToken,
    ProofRequest,
    bearer_token,
    dpop_token,
    scheme_of,
)
from resource_server.auth.challenge import DPOP

log = logging.getLogger(__name__)


class BearerAuthenticationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.principal = None
        authorization = request.headers.get("Authorization")
        request.auth_scheme = scheme_of(authorization)
        try:

            def certificate():
                return wiring.certificate_source().presented(request.META)

            if request.auth_scheme == DPOP:
                # RFC 9449 §7.1: a DPoP-bound token, with the proof of its key for this request.
                proof = ProofRequest(
                    proof=request.headers.get("DPoP"),
                    method=request.method,
                    url=wiring.public_url(request),
                )
                token = dpop_token(authorization)
                request.principal = wiring.validator().validate(
                    token, dpop=proof, certificate=certificate
                )
            else:
                token = bearer_token(authorization)
                if token is not None:
                    request.principal = wiring.validator().validate(token, certificate=certificate)
        except BearerError as failure:
            return self._refuse(request, failure)
        except IssuerUnavailable as error:
            log.error("cannot validate tokens: %s", error)
            return responses.unavailable("the authorization server cannot be reached")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.principal is None and not getattr(view_func, "public", False):
            return self._refuse(request, MissingToken())
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, BearerError):
            return self._refuse(request, exception)
        return None

    @staticmethod
    def _refuse(request, failure: BearerError):
        principal = getattr(request, "principal", None)
        log.info(
            "%s %s refused (%s %s): %s; sub=%s client=%s",
            request.method,
            request.path,
            failure.status,
            failure.code or "no token",
            failure.detail,
            principal.sub if principal else "-",
            principal.client if principal else "-",
        )
        scheme = getattr(request, "auth_scheme", "Bearer")
        return responses.bearer_error(failure, realm=wiring.config().audience, scheme=scheme)
