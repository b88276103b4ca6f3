"""Pages whose address carries an authorization request (the authorization endpoint's answers,
the login pages, the consent page): ``Referrer-Policy: no-referrer``, so that neither that
address (state, hints, the login page's ``next``) nor its origin reaches anyone in a Referer.

A browser then sends the POST of such a page's own form with ``Origin: null`` (Fetch, "append a
request Origin header"), which Django's CSRF check refuses as a foreign origin. For these forms
the CSRF token alone decides, as it does for any POST that carries no Origin over http. What
Django's origin check otherwise adds, that a sibling subdomain cannot plant a CSRF cookie of
its own choosing, the ``__Host-`` cookie name gives over https (settings.CSRF_COOKIE_NAME).
"""

from functools import wraps

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware

POLICY = "no-referrer"


def no_referrer(view):
    """The view's every answer with ``Referrer-Policy: no-referrer`` (a redirect's too: the
    browser applies it to the request it is redirected to)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = POLICY
        return response

    return wrapped


class _NullOriginCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF check, with ``Origin: null`` taken as no Origin at all: the token decides."""

    def _origin_verified(self, request):
        if request.META["HTTP_ORIGIN"] == "null":
            return True
        return super()._origin_verified(request)

    def _check_referer(self, request):
        # Over https without an Origin (older browsers send none on a same-origin POST), Django
        # demands a Referer, which these pages withhold; a __Host- CSRF cookie gives what it
        # would (settings.CSRF_COOKIE_NAME over https).
        if not settings.CSRF_COOKIE_NAME.startswith("__Host-"):
            super()._check_referer(request)


_csrf_protect = decorator_from_middleware(_NullOriginCsrfMiddleware)


def no_referrer_form(view):
    """``no_referrer`` for a page that POSTs its own CSRF-protected form back to itself: the
    CSRF check runs here, with ``Origin: null`` accepted, instead of in the global middleware."""
    protected = no_referrer(_csrf_protect(view))
    protected.csrf_exempt = True  # for the global middleware only: _csrf_protect checks it
    return protected
