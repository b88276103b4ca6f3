"""handler500: what a client sees when a request fails on our side.

A database that cannot be reached, or stops answering (a restart, a failover, a lock held too
long: the connection is refused, the connect or statement times out) is 503 with
``Retry-After``, so that clients retry; Django replaces a broken connection after the request.
The machine-facing endpoints (the protocol endpoints and the admin API) say it in JSON, as an
OAuth error (``temporarily_unavailable``, RFC 6749 §4.1.2.1); pages say it in plain text.
Anything else is a plain 500 (views/errors.py, which reads nothing of the request). Neither
says more than that.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

from authserver.views import errors
from authserver.wsgi_dispatch import PROTOCOL_PATHS

RETRY_AFTER_SECONDS = 1
ADMIN_API_PREFIX = "/admin/realms/"


def server_error(request):
    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return errors.internal_error(request)
    if _machine_facing(request.path_info):
        response = JsonResponse(
            {
                "error": "temporarily_unavailable",
                "error_description": "the service is temporarily unavailable; retry shortly",
            },
            status=503,
        )
    else:
        response = HttpResponse(
            "Service temporarily unavailable, retry shortly.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _machine_facing(path: str) -> bool:
    return bool(PROTOCOL_PATHS.fullmatch(path)) or path.startswith(ADMIN_API_PREFIX)
