import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authserver.settings")
# get_wsgi_application sets Django up, so it comes first.
_browser = get_wsgi_application()

from authserver import warmup  # noqa: E402 - needs Django set up
from authserver.wsgi_dispatch import PathDispatcher, ProtocolHandler  # noqa: E402

# The protocol endpoints skip the middleware only browser pages need (wsgi_dispatch.py).
application = PathDispatcher(protocol=ProtocolHandler(), browser=_browser)
warmup.import_request_code()
