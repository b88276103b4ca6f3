"""POST {issuer}/protocol/openid-connect/ext/par/request (RFC 9126 §2): a client pushes its
authorization request, authenticated as at the token endpoint, and gets the request URI the
browser carries to the authorization endpoint instead."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from authserver.protocol import dpop, pushed_requests
from authserver.views import responses
from authserver.views.dpop_nonce import offers_nonce
from authserver.views.forms import from_client

# What authenticates the client is not part of the authorization request it pushes.
_CREDENTIALS = ("client_secret", "client_assertion", "client_assertion_type")


@csrf_exempt
@offers_nonce
def push(request):
    return from_client(request, lambda client, form: _pushed(request, client, form))


def _pushed(request, client, form):
    params = {name: [value] for name, value in form.items() if name not in _CREDENTIALS}
    proof = request.headers.get(dpop.HEADER)
    if proof is not None:  # RFC 9449 §10.1: the code will be bound to the proof's key
        jkt = dpop.pushed_key(request.realm, client, proof, named=form.get("dpop_jkt"))
        params["dpop_jkt"] = [jkt]
    uri, lifetime = pushed_requests.push(request.realm, client, params)
    body = {"request_uri": uri, "expires_in": lifetime}
    return JsonResponse(body, status=201, headers=responses.NO_STORE)
