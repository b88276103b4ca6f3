"""POST {issuer}/protocol/openid-connect/token (RFC 6749 §3.2)."""

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.views.decorators.csrf import csrf_exempt

from authserver.protocol import families, origins, params, stateless
from authserver.protocol.errors import InvalidRequest
from authserver.views import responses
from authserver.views.cors import cors
from authserver.views.dpop_nonce import offers_nonce
from authserver.views.oauth import core


@csrf_exempt
@cors(methods=("POST",), credentials=True)
@offers_nonce
def token(request):
    if request.method != "POST":
        return responses.method_not_allowed(["POST"])
    try:
        body = dict(request.POST.lists())
        params.check_form(
            content_type=request.content_type or "", body=body, query=dict(request.GET.lists())
        )
        params.check_grant_type(body)
    except InvalidRequest as error:
        return responses.oauth_error(error)
    except RequestDataTooBig:
        return responses.oauth_error(InvalidRequest("the request body is too large"))
    if "Origin" in request.headers:  # a browser's request: whose origins may read the answer
        request.cors_client = origins.named_client(request.realm, request.POST.get("client_id"))
    grant_type = request.POST.get("grant_type")
    if grant_type in stateless.GRANTS or families.without_transaction(grant_type):
        # Nothing to write, or one statement: no transaction (its BEGIN and COMMIT would be
        # two more round trips).
        _, headers, body, status = core().create_token_response(request)
    else:
        with transaction.atomic():
            _, headers, body, status = core().create_token_response(request)
    return responses.from_oauthlib(headers, body, status)
