import re

from django.conf import settings
from django.core.exceptions import BadRequest
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


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# The OAuth endpoints read their parameters themselves and answer a bad one in their RFC's
# shape (an error sent back to the client, invalid_request, or 200 for an unknown token).
_OAUTH_ENDPOINTS = re.compile(r"/realms/[^/]+/protocol/openid-connect/.*")


class RefuseNulMiddleware:
    """400 for a NUL character in the path, a cookie, or a parameter of a page's query or form.

    No realm, client, user, page parameter or cookie of ours holds one, and PostgreSQL can
    neither store nor compare a string that does (every lookup with it would fail as a server
    error). The request is refused before any view or lookup sees it, on both stacks of
    wsgi_dispatch.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _holds_nul(request):
            raise BadRequest("the request holds a NUL character")
        return self.get_response(request)


def _holds_nul(request) -> bool:
    if "\x00" in request.path_info:
        return True
    if any("\x00" in value for value in request.COOKIES.values()):
        return True
    if _OAUTH_ENDPOINTS.fullmatch(request.path_info):
        return False
    if _nul_in(request.GET):
        return True
    # A form is parsed here as CsrfViewMiddleware or the view would parse it: once, the same way.
    return request.method == "POST" and request.content_type in _FORMS and _nul_in(request.POST)


def _nul_in(query) -> bool:
    return any(
        "\x00" in name or any("\x00" in value for value in values) for name, values in query.lists()
    )


class RefuseTraceMiddleware:
    """405 to TRACE, before any view: last in MIDDLEWARE, so that the answer carries the
    security headers of the middleware above it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in _REFUSED_METHODS:
            return HttpResponseNotAllowed(_ALLOWED_METHODS)
        return self.get_response(request)
