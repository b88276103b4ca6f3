"""Who is calling: the bearer token of each request, validated, as ``request.principal``.

Deny by default: a view answers a request without a valid token only if it is marked
:func:`resource_server.authorization.public`. A token that is present but invalid is refused
everywhere, public views included (RFC 6750 §3.1), so a client learns at once that its token
is no good. The authorization decorators raise :class:`BearerError`; this middleware turns every
one of them into the RFC 6750 response.
"""

import logging

from resource_server import responses, wiring
from resource_server.auth import BearerError, IssuerUnavailable, MissingToken, bearer_token

log = logging.getLogger(__name__)


class BearerAuthenticationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.principal = None
        try:
            token = bearer_token(request.headers.get("Authorization"))
            if token is not None:
                request.principal = wiring.validator().validate(
                    token, certificate=lambda: wiring.certificate_source().presented(request.META)
                )
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
        return responses.bearer_error(failure, realm=wiring.config().audience)
