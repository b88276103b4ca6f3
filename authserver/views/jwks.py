"""The realm's JWK Set (OpenID Connect Discovery 1.0 ``jwks_uri``; RFC 7517 section 5)."""

import hashlib
import json

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from authserver.keys import store
from authserver.views.cors import cors


@cors(methods=("GET", "HEAD"), public=True)
@require_safe
def certs(request):
    body = json.dumps(store.jwks(request.realm), separators=(",", ":")).encode()
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()}"'
    patch_cache_control(response, public=True, max_age=store.JWKS_MAX_AGE)
    return get_conditional_response(request, etag=response["ETag"], response=response)
