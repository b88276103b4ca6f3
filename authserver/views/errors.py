"""handler400, handler403, handler404 (and handler500's plain answer): JSON in the RFCs' shape
for the machine-facing endpoints, a small page for everything a browser shows.

Django's own handlers run the CSRF check before answering, and that check reads ``request.POST``
again: a body that could not be read the first time (a form in a charset other than UTF-8, a
broken multipart body) then fails inside the error handler, and a 400 becomes a 500. These never
read the body, the session or the user.
"""

import re

from django.http import HttpResponse, JsonResponse
from django.utils.html import escape

from authserver.wsgi_dispatch import PROTOCOL_PATHS

# The admin REST API and its description answer JSON too; the console under /admin/ is pages.
_JSON_PATHS = re.compile(r"/admin/(?:realms(?:/.*)?|openapi\.json)")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 500: "Server error"}
_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{description}</p></body>
</html>
"""


def bad_request(request, exception=None):
    return _answer(request, 400, "invalid_request", "The request could not be read.")


def permission_denied(request, exception=None):
    return _answer(request, 403, "access_denied", "This request is not allowed.")


def page_not_found(request, exception=None):
    return _answer(request, 404, "not_found", "There is nothing at this address.")


def internal_error(request):
    """What handler500 answers when it has nothing more specific to say."""
    return _answer(request, 500, "server_error", "The server could not answer this request.")


def wants_json(path: str) -> bool:
    return bool(PROTOCOL_PATHS.fullmatch(path) or _JSON_PATHS.fullmatch(path))


def _answer(request, status: int, error: str, description: str) -> HttpResponse:
    if wants_json(request.path_info):
        response = JsonResponse({"error": error, "error_description": description}, status=status)
    else:
        title = _TITLES[status]
        response = HttpResponse(
            _PAGE.format(title=title, description=escape(description)),
            status=status,
            content_type="text/html; charset=utf-8",
        )
    for name, value in _NO_STORE.items():
        response[name] = value
    return response
