"""POST {issuer}/protocol/openid-connect/token/introspect (RFC 7662)."""

from django.views.decorators.csrf import csrf_exempt

from authserver.protocol import client_auth, introspection
from authserver.protocol.errors import OAuthError
from authserver.views import responses
from authserver.views.forms import checked_form


@csrf_exempt
def introspect(request):
    if request.method != "POST":
        return responses.method_not_allowed(["POST"])
    try:
        form = checked_form(request)
        client = client_auth.authenticate(
            request.realm,
            authorization=request.headers.get("Authorization"),
            form=form,
            environ=request.META,
        )
        answer = introspection.introspect(
            request.realm, client, form.get("token"), hint=form.get("token_type_hint")
        )
    except OAuthError as error:
        return responses.oauth_error(error, basic_auth_used=True)
    return responses.json_no_store(answer)
