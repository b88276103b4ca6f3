"""One WSGI application, two Django handlers: the machine-facing protocol endpoints skip the
middleware that only browser pages need.

Token, introspection, revocation, UserInfo, the JWKS, discovery, the realm document and the
health probes take their credentials from the Authorization header or the form (or need none),
never from a cookie, and show no page: sessions, CSRF, the logged-in user, OTP and messages
would only cost each of their requests. Every other path (authorization, logout, login,
consents, the admin console, static files) goes through the whole ``MIDDLEWARE``.
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

# The protocol endpoints of urls.py, anchored on the whole PATH_INFO; a realm name is one path
# segment, as for <str:realm_name>. A path with a trailing slash is not one of them.
_REALM = r"/realms/[^/]+"
PROTOCOL_PATHS = re.compile(
    rf"{_REALM}/protocol/openid-connect/(?:token|token/introspect|revoke|userinfo|certs)"
    rf"|{_REALM}/\.well-known/openid-configuration"
    r"|/\.well-known/oauth-authorization-server/realms/[^/]+"
    rf"|{_REALM}"
    r"|/healthz|/readyz"
)

# What the protocol endpoints do without, and why. Everything else in settings.MIDDLEWARE runs,
# in its order: the security headers, the Host check, request.realm, X-Frame-Options, the CSP;
# a middleware added to the settings later applies to them too unless it is named here.
BROWSER_ONLY_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves /static/ only",
    "django.contrib.sessions.middleware.SessionMiddleware": (
        "no protocol endpoint reads request.session; an SSO session is found from a token"
    ),
    "django.middleware.csrf.CsrfViewMiddleware": (
        "the POST endpoints are csrf_exempt (no cookie authenticates them); on the documents "
        "it only turned the view's 405 to a POST into its own 403"
    ),
    "django.contrib.auth.middleware.AuthenticationMiddleware": (
        "no protocol endpoint reads request.user: clients and bearers authenticate per request"
    ),
    "django_otp.middleware.OTPMiddleware": "wraps request.user, which is not there",
    "django.contrib.messages.middleware.MessageMiddleware": "no page to show messages on",
}


class ProtocolHandler(WSGIHandler):
    """Django's WSGI handler with ``settings.MIDDLEWARE`` less ``BROWSER_ONLY_MIDDLEWARE``."""

    def load_middleware(self, is_async=False):
        # BaseHandler.load_middleware reads settings.MIDDLEWARE and takes no list of its own:
        # this is its synchronous path (WSGI) over the shorter list.
        if is_async:
            raise ImproperlyConfigured("ProtocolHandler serves WSGI only")
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(protocol_middleware()):
            middleware = import_string(path)
            if not getattr(middleware, "sync_capable", True):
                raise ImproperlyConfigured(f"{path} cannot run synchronously")
            try:
                instance = middleware(handler)
            except MiddlewareNotUsed:
                continue
            if instance is None:
                raise ImproperlyConfigured(f"Middleware factory {path} returned None.")
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


def protocol_middleware() -> list[str]:
    return [path for path in settings.MIDDLEWARE if path not in BROWSER_ONLY_MIDDLEWARE]


class PathDispatcher:
    """A WSGI application: PROTOCOL_PATHS to ``protocol``, every other path to ``browser``."""

    def __init__(self, *, protocol, browser):
        self.protocol = protocol
        self.browser = browser

    def __call__(self, environ, start_response):
        lean = PROTOCOL_PATHS.fullmatch(environ.get("PATH_INFO", ""))
        return (self.protocol if lean else self.browser)(environ, start_response)
