"""POST {issuer}/protocol/openid-connect/revoke (RFC 7009), through oauthlib's endpoint: client
authentication as at the token endpoint (a public client names itself by client_id), then the
validator's realm- and client-confined revoke_token."""

from django.db import transaction
from django.views.decorators.csrf import csrf_exempt

from authserver.protocol.errors import InvalidRequest
from authserver.views import responses
from authserver.views.cors import cors
from authserver.views.forms import checked_form
from authserver.views.oauth import core


@csrf_exempt
@cors(methods=("POST",))
def revoke(request):
    if request.method != "POST":
        return responses.method_not_allowed(["POST"])
    try:
        checked_form(request)
    except InvalidRequest as error:
        return responses.oauth_error(error)
    with transaction.atomic():
        _, headers, body, status = core().create_revocation_response(request)
    return responses.from_oauthlib(headers, body, status)
