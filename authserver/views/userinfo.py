"""GET and POST {issuer}/protocol/openid-connect/userinfo (OpenID Connect Core 1.0 §5.3)."""

from django.core.exceptions import RequestDataTooBig
from django.views.decorators.csrf import csrf_exempt

from authserver.protocol import dpop
from authserver.protocol.errors import InvalidRequest, OAuthError
from authserver.protocol.userinfo import claims_of
from authserver.views import presented_token, responses
from authserver.views.cors import cors
from authserver.views.dpop_nonce import offers_nonce

FORM = "application/x-www-form-urlencoded"


@csrf_exempt
@cors(methods=("GET", "POST"), credentials=True)
@offers_nonce
def userinfo(request):
    if request.method not in ("GET", "POST"):
        return responses.method_not_allowed(["GET", "POST"])
    realm = request.realm
    try:
        holder = presented_token.holder(
            request, url=dpop.endpoint(realm, "userinfo"), form_values=_form_tokens(request)
        )
        if holder is None:
            return responses.resource_challenge(realm.name)
        claims = claims_of(holder)
    except OAuthError as error:
        return responses.resource_challenge(
            realm.name, error, scheme=presented_token.scheme(request)
        )
    return responses.json_no_store(claims)


def _form_tokens(request) -> list[str]:
    """RFC 6750 §2.2: ``access_token`` in a form-encoded POST body, nowhere else."""
    if request.method != "POST" or request.content_type != FORM:
        return []
    try:
        return request.POST.getlist("access_token")
    except RequestDataTooBig:
        raise InvalidRequest("the request body is too large") from None
