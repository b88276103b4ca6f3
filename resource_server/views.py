"""Views both services share: the health check and JSON error handlers."""

from django.views.decorators.http import require_safe

from resource_server import responses, wiring
from resource_server.authorization import public


@public
@require_safe
def health(request):
    """GET /api/public/health: 200 while the process serves requests; no token needed."""
    return responses.json({"status": "ok", "service": wiring.config().name})


def bad_request(request, exception=None):
    # Not Django's default: it runs the CSRF check, which reads the body again.
    return responses.error("invalid_request", "the request could not be read", status=400)


def forbidden(request, exception=None):
    return responses.error("forbidden", "this request is not allowed", status=403)


def not_found(request, exception=None):
    return responses.error("not_found", "no such resource", status=404)


def server_error(request):
    return responses.error("server_error", "an unexpected error occurred", status=500)


def by_method(**handlers):
    """One URL, one view per HTTP method (each with its own authorization decorators); 405
    with ``Allow`` for any other method. The dispatcher itself is never public."""
    allowed = ", ".join(sorted(handlers))

    def dispatch(request, *args, **kwargs):
        handler = handlers.get(request.method)
        if handler is None:
            return responses.error(
                "method_not_allowed", f"use {allowed}", status=405, Allow=allowed
            )
        return handler(request, *args, **kwargs)

    return dispatch
