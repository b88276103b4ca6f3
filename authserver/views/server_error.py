"""handler500: what a client sees when a request fails on our side.

A database that cannot be reached (a restart, a failover: the persistent connection is found dead)
is 503 with ``Retry-After``, so that clients retry; Django replaces the connection after the
request. Anything else is a plain 500 (views/errors.py, which reads nothing of the request).
Neither says more than that.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse

from authserver.views import errors

RETRY_AFTER_SECONDS = 1


def server_error(request):
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(
            "Service temporarily unavailable, retry shortly.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return errors.internal_error(request)
