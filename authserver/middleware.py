from django.conf import settings
from django.http import HttpResponseNotAllowed

# RFC 9110 §9.3.8: TRACE echoes the request back, cookies and credentials included (cross-site
# tracing); nothing here answers it. TRACK is the same method under another vendor's name.
_REFUSED_METHODS = {"TRACE", "TRACK"}
_ALLOWED_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"]


class ContentSecurityPolicyMiddleware:
    """The Content-Security-Policy on every response, pages and JSON alike, over http as over
    https (no framing, no plugins, no <base>, scripts and styles from our origin only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response


class RefuseTraceMiddleware:
    """405 to TRACE, before any view: last in MIDDLEWARE, so that the answer carries the
    security headers of the middleware above it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in _REFUSED_METHODS:
            return HttpResponseNotAllowed(_ALLOWED_METHODS)
        return self.get_response(request)
