"""Cross-origin reads from browsers (the Fetch standard's CORS protocol), as a view decorator.

One policy for every endpoint that browsers call (discovery, JWKS, the realm document, token,
userinfo, revocation): the request's ``Origin`` is echoed only when it is a web origin of an
enabled client of the realm (protocol/origins.py), with ``Vary: Origin`` so that caches keep
one copy per origin. Never ``*``: a realm's documents are read only by the apps registered in
it. ``public=True`` marks the cacheable documents, which have no error headers worth exposing.

``credentials=True`` (token, userinfo, logout) adds ``Access-Control-Allow-Credentials: true``
when the origin is a web origin of the very client the request is about, which the view names
in ``request.cors_client``: keycloak-js sends its token requests with the browser's credentials,
and the Fetch standard lets a script read such an answer only with that header and its exact
origin. Another client's origin still reads what it could read without credentials; an unknown
origin reads nothing. Preflights never carry it: the requests keycloak-js sends with credentials
are simple ones (a form, no Authorization header) and need none.

The decorator also answers the preflight (``OPTIONS``) itself.
"""

import functools

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from authserver.protocol import origins

# DPoP (RFC 9449): browsers send proofs in their own header, and read the nonces offered.
ALLOW_HEADERS = "Authorization, Content-Type, DPoP"
EXPOSE_HEADERS = "WWW-Authenticate, DPoP-Nonce"
# Browsers cap this (Chromium at two hours); an hour spares most preflights.
PREFLIGHT_MAX_AGE = 3600


def cors(*, methods: tuple[str, ...], public: bool = False, credentials: bool = False):
    allow_methods = ", ".join((*methods, "OPTIONS"))

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            origin = request.headers.get("Origin")
            allowed = origins.realm_allows(request.realm, origin)
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Allow"] = allow_methods
                if allowed and origin:
                    response["Access-Control-Allow-Methods"] = allow_methods
                    response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
                    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
            else:
                response = view(request, *args, **kwargs)
                if allowed and origin and not public:
                    # A browser script may read why a bearer token was refused.
                    response["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            if allowed:
                response["Access-Control-Allow-Origin"] = origin
                client = getattr(request, "cors_client", None)
                if credentials and client is not None and origins.client_allows(client, origin):
                    response["Access-Control-Allow-Credentials"] = "true"
            else:
                # oauthlib may have allowed the client's own origin; the realm decides.
                del response["Access-Control-Allow-Origin"]
            patch_vary_headers(response, ["Origin"])
            return response

        return wrapped

    return decorator
