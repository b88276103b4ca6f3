import os

from django.core.wsgi import get_wsgi_application

from authserver.wsgi_dispatch import PathDispatcher, ProtocolHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authserver.settings")
# get_wsgi_application sets Django up, so it comes first.
_browser = get_wsgi_application()
# The protocol endpoints skip the middleware only browser pages need (wsgi_dispatch.py).
application = PathDispatcher(protocol=ProtocolHandler(), browser=_browser)
