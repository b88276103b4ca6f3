"""The realm's JWK Set (OpenID Connect Discovery 1.0 ``jwks_uri``; RFC 7517 section 5)."""

from django.views.decorators.http import require_safe

from authserver.keys import store
from authserver.views.cors import cors
from authserver.views.documents import cacheable_json


@cors(methods=("GET", "HEAD"), public=True)
@require_safe
def certs(request):
    realm = request.realm
    return cacheable_json(
        request, store.jwks(realm), key=("jwks", realm.pk), max_age=store.JWKS_MAX_AGE
    )
