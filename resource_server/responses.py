"""Every response the services build: JSON, never cached, errors in the RFCs' shape."""

from django.http import HttpResponse, JsonResponse

from resource_server.auth import BearerError, www_authenticate


def json(data, *, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def no_content(**headers) -> HttpResponse:
    """204: no body at all (RFC 9110 §15.3.5), not even JSON's null."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error(code: str, description: str, *, status: int, **headers) -> JsonResponse:
    return json({"error": code, "error_description": description}, status=status, **headers)


def bearer_error(failure: BearerError, *, realm: str, scheme: str = "Bearer") -> JsonResponse:
    """RFC 6750 §3, RFC 9449 §7.1: the challenge in WWW-Authenticate, in the scheme the request
    used (both offered when it sent no token), and the same error as JSON."""
    body = {"error": failure.code or "unauthorized"}
    if failure.description:
        body["error_description"] = failure.description
    response = json(body, status=failure.status)
    response["WWW-Authenticate"] = www_authenticate(
        failure, realm=realm, scheme=scheme, offer_dpop=True
    )
    return response


def unavailable(description: str) -> JsonResponse:
    return error("temporarily_unavailable", description, status=503, Retry_After="5")
