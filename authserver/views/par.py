"""POST {issuer}/protocol/openid-connect/ext/par/request (RFC 9126 §2): a client pushes its
authorization request, authenticated as at the token endpoint, and gets the request URI the
browser carries to the authorization endpoint instead."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from authserver.protocol import pushed_requests
from authserver.views import responses
from authserver.views.forms import from_client

# What authenticates the client is not part of the authorization request it pushes.
_CREDENTIALS = ("client_secret", "client_assertion", "client_assertion_type")


@csrf_exempt
def push(request):
    return from_client(request, lambda client, form: _pushed(request, client, form))


def _pushed(request, client, form):
    params = {name: [value] for name, value in form.items() if name not in _CREDENTIALS}
    uri, lifetime = pushed_requests.push(request.realm, client, params)
    body = {"request_uri": uri, "expires_in": lifetime}
    return JsonResponse(body, status=201, headers=responses.NO_STORE)
