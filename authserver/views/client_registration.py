"""Dynamic client registration at Keycloak's paths: POST
``{issuer}/clients-registrations/openid-connect`` with an initial access token (RFC 7591 §3), and
GET, PUT, DELETE ``.../openid-connect/{client_id}`` with the client's registration access token
(RFC 7592 §2). JSON in, JSON out; the work is authserver/registration/clients.py."""

import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.storable import json_problem
from authserver.protocol import bearer
from authserver.protocol.errors import InvalidToken, OAuthError
from authserver.registration import clients
from authserver.registration.metadata import InvalidClientMetadata
from authserver.views import responses


@csrf_exempt
def register(request):
    if request.method != "POST":
        return responses.method_not_allowed(["POST"])
    return _answer(lambda: clients.register(request.realm, _body(request), _token(request)), 201)


@csrf_exempt
def configuration(request, client_id: str):
    realm, token = request.realm, None
    try:
        token = _token(request)
        if request.method == "GET":
            answer = clients.read(realm, client_id, token)
        elif request.method == "PUT":
            answer = clients.replace(realm, client_id, token, _body(request))
        elif request.method == "DELETE":
            clients.delete(realm, client_id, token)
            return HttpResponse(status=204, headers=responses.NO_STORE)
        else:
            return responses.method_not_allowed(["GET", "PUT", "DELETE"])
    except OAuthError as error:
        return _error(error)
    return _json(answer.body, 200)


def _answer(work, status: int):
    try:
        answer = work()
    except OAuthError as error:
        return _error(error)
    response = _json(answer.body, status)
    response["Location"] = answer.body["registration_client_uri"]
    return response


def _token(request) -> str | None:
    return bearer.token_from(authorization=request.headers.get("Authorization"), form_values=[])


def _body(request) -> object:
    if request.content_type != "application/json":
        raise InvalidClientMetadata("send the metadata as application/json")
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        raise InvalidClientMetadata("the body is not JSON") from None
    problem = json_problem(body)
    if problem:
        raise InvalidClientMetadata(f"{problem[0] or '(body)'}: {problem[1]}")
    return body


def _json(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, headers=responses.NO_STORE)


def _error(error: OAuthError) -> JsonResponse:
    response = responses.oauth_error(error)
    if isinstance(error, InvalidToken):
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
