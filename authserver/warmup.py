"""What a process's first request would otherwise import, imported when the application is built.

Django imports the URLconf (and with it every view, oauthlib and django-oauth-toolkit), and
builds each cache backend with its client, on first use: 0.1 to 0.2 s that a worker's first
request waited for. Under gunicorn's preload (deploy/gunicorn.conf.py) the master does it once
and every worker, recycled ones included, is forked with it. Nothing here opens a connection:
database connections and cache clients' sockets are made by the first request that needs one.
"""

from django.conf import settings
from django.core.cache import caches
from django.urls import get_resolver

from authserver.views.oauth import core


def import_request_code() -> None:
    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf
    core()
    for alias in settings.CACHES:
        # django-redis builds its client (and imports its serializer and compressor) lazily.
        getattr(caches[alias], "client", None)
