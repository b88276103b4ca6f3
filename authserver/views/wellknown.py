"""The realm's public documents: OpenID Connect Discovery 1.0 §4 ``openid-configuration``, the
same metadata at RFC 8414 §3's path, and Keycloak's realm document at the issuer URL."""

import hashlib
import json

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from authserver.protocol import discovery
from authserver.views.cors import cors


def _cacheable(request, document: dict) -> HttpResponse:
    body = json.dumps(document, separators=(",", ":")).encode()
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()}"'
    patch_cache_control(response, public=True, max_age=discovery.MAX_AGE)
    return get_conditional_response(request, etag=response["ETag"], response=response)


@cors(methods=("GET", "HEAD"), public=True)
@require_safe
def openid_configuration(request):
    return _cacheable(request, discovery.metadata(request.realm))


@cors(methods=("GET", "HEAD"), public=True)
@require_safe
def realm_info(request):
    return _cacheable(request, discovery.realm_info(request.realm))
