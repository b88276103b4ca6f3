"""WSGI entry point of the order service: ``gunicorn resource_server.orders.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resource_server.orders.settings")
application = get_wsgi_application()

from resource_server import wiring  # noqa: E402 (needs the settings configured above)

# Fail at startup, not at the first request, when the service cannot work.
wiring.require_configuration(needs_client=True)
