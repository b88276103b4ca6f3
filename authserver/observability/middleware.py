"""The request id on every request and answer, and the request metrics.

Both stacks of wsgi_dispatch run them (they are not browser-only), first in MIDDLEWARE, so the
duration covers every other middleware and every log line of the request carries its id.
"""

import os
import re
import time

from django.conf import settings

from authserver.observability import context, metrics

REQUEST_ID_HEADER = "X-Request-ID"
# An id from the gateway (nginx's $request_id: 32 hex digits) or another tracing proxy is kept
# when it is a plain token; anything else (too long, spaces, quotes, control characters that
# could forge a log line) is replaced by a fresh one.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Any other method is one label value, so that a client cannot add a time series per request.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


class RequestIdMiddleware:
    """Keeps a sane incoming ``X-Request-ID`` or makes one; the answer carries it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        # 128 random bits, as hex (uuid4's text without the UUID object's cost).
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()
        request.request_id = request_id
        context.open_request(request, request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Before RealmMiddleware resolves it: a log line about an unknown realm names it too.
        context.bind(realm=view_kwargs.get("realm_name", ""))


class MetricsMiddleware:
    """Requests by route, method and status, their duration, tokens issued, 429s."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        endpoint = endpoint_name(request)
        status = response.status_code
        method = request.method if request.method in _METHODS else "other"
        count, duration = metrics.request_series(endpoint, method, str(status))
        count.inc()
        duration.observe(elapsed)
        if status == 429:
            metrics.rate_limited.labels(endpoint).inc()
        elif status == 200 and endpoint == "token":
            # Only an authenticated client gets a 200 here: the validator named it.
            metrics.tokens_issued.labels(
                request.realm.name, context.get("client"), request.POST.get("grant_type", "")
            ).inc()
        return response


def endpoint_name(request) -> str:
    """The route's name (``token``, ``admin:index``), or its pattern when it has none: never the
    raw path, which a client may vary at will."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name if match.url_name else match.route
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"
