"""The realm's public documents: OpenID Connect Discovery 1.0 §4 ``openid-configuration``, the
same metadata at RFC 8414 §3's path, and Keycloak's realm document at the issuer URL."""

from django.views.decorators.http import require_safe

from authserver.protocol import discovery
from authserver.views.cors import cors
from authserver.views.documents import cacheable_json


@cors(methods=("GET", "HEAD"), public=True)
@require_safe
def openid_configuration(request):
    realm = request.realm
    return cacheable_json(
        request, discovery.metadata(realm), key=("metadata", realm.pk), max_age=discovery.MAX_AGE
    )


@cors(methods=("GET", "HEAD"), public=True)
@require_safe
def realm_info(request):
    realm = request.realm
    return cacheable_json(
        request, discovery.realm_info(realm), key=("realm", realm.pk), max_age=discovery.MAX_AGE
    )
