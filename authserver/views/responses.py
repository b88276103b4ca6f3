"""Turning protocol errors and results into RFC-shaped HTTP responses. The one serializer."""

import json
import logging

from django.http import HttpResponse, JsonResponse

from authserver.protocol.errors import InvalidClient, OAuthError

log = logging.getLogger("authserver.errors")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(error: OAuthError, *, basic_auth_used: bool = False) -> JsonResponse:
    """RFC 6749 §5.2 JSON error; only the public fields leave, the detail goes to the log."""
    if error.detail:
        log.info("%s: %s", error.error, error.detail)
    response = JsonResponse(error.as_dict(), status=error.status)
    for name, value in NO_STORE.items():
        response[name] = value
    if isinstance(error, InvalidClient):
        scheme = "Basic" if basic_auth_used else "Bearer"
        response["WWW-Authenticate"] = f'{scheme} error="invalid_client"'
    return response


def from_oauthlib(headers: dict, body: str, status: int) -> HttpResponse:
    """oauthlib's (headers, body, status), with no-store on every token-bearing answer."""
    response = HttpResponse(body, status=status, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    for name, value in NO_STORE.items():
        response[name] = value
    if status == 401 and _error_code(body) == "invalid_client":
        response["WWW-Authenticate"] = 'Basic error="invalid_client"'
    return response


def _error_code(body: str) -> str | None:
    try:
        return json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None


def method_not_allowed(allowed: list[str]) -> JsonResponse:
    response = JsonResponse(
        {"error": "invalid_request", "error_description": f"use {' or '.join(allowed)}"},
        status=405,
    )
    response["Allow"] = ", ".join(allowed)
    for name, value in NO_STORE.items():
        response[name] = value
    return response
