"""Turning protocol errors and results into RFC-shaped HTTP responses. The one serializer."""

import json
import logging
from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from oauthlib.common import add_params_to_uri

from authserver.protocol import dpop
from authserver.protocol.errors import InvalidClient, InvalidDPoPProof, OAuthError, UseDPoPNonce

log = logging.getLogger("authserver.errors")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(error: OAuthError, *, basic_auth_used: bool = False) -> JsonResponse:
    """RFC 6749 §5.2 JSON error; only the public fields leave, the detail goes to the log."""
    if error.detail:
        log.info("%s: %s", error.error, error.detail)
    response = JsonResponse(error.as_dict(), status=error.status)
    for name, value in NO_STORE.items():
        response[name] = value
    if isinstance(error, UseDPoPNonce) and error.nonce:
        response[dpop.NONCE_HEADER] = error.nonce  # RFC 9449 §8
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


def json_no_store(data: dict) -> JsonResponse:
    """A JSON answer that carries tokens or claims: no cache may keep it."""
    response = JsonResponse(data)
    for name, value in NO_STORE.items():
        response[name] = value
    return response


def resource_challenge(
    realm_name: str, error: OAuthError | None = None, *, scheme: str = "Bearer"
) -> HttpResponse:
    """The refusal of a resource that takes bearer (RFC 6750 §3) and DPoP-bound (RFC 9449
    §7.1) tokens: the challenge of the scheme the request used, with its error; a request
    without a token is offered both, without an error code (RFC 6750 §3.1). A DPoP proof
    refused (``invalid_dpop_proof``, ``use_dpop_nonce``) is a 401 at a resource."""
    if error is None:
        response = HttpResponse(status=401)
        challenges = [_challenge("Bearer", realm_name, []), _challenge("DPoP", realm_name, [])]
        response["WWW-Authenticate"] = ", ".join(challenges)
    else:
        if error.detail:
            log.info("%s: %s", error.error, error.detail)
        status = 401 if isinstance(error, InvalidDPoPProof | UseDPoPNonce) else error.status
        response = JsonResponse(error.as_dict(), status=status)
        if isinstance(error, UseDPoPNonce) and error.nonce:
            response[dpop.NONCE_HEADER] = error.nonce
        attributes = [("error", error.error)]
        if error.description:
            attributes.append(("error_description", error.description))
        response["WWW-Authenticate"] = _challenge(scheme, realm_name, attributes)
    for name, value in NO_STORE.items():
        response[name] = value
    return response


def _challenge(scheme: str, realm_name: str, attributes: list[tuple[str, str]]) -> str:
    attributes = [("realm", realm_name), *attributes]
    if scheme == "DPoP":
        # RFC 9449 §7.1: the algorithms the resource accepts for proofs.
        attributes.append(("algs", " ".join(dpop.ALGORITHMS)))
    # RFC 6750 §3: a value may hold neither a double quote nor a backslash.
    quoted = [f'{name}="{_quotable(value)}"' for name, value in attributes]
    return f"{scheme} " + ", ".join(quoted)


def _quotable(value: str) -> str:
    return value.replace("\\", "").replace('"', "'")


# --- the authorization endpoint's answers, through the browser --------------------------------
def no_store(response: HttpResponse) -> HttpResponse:
    for name, value in NO_STORE.items():
        response[name] = value
    return response


def authorization_response(
    request, *, redirect_uri: str, response_mode: str, params: list[tuple[str, str]], issuer: str
) -> HttpResponse:
    """RFC 6749 §4.1.2 (or §4.1.2.1 for an error) in the requested response mode, with the
    RFC 9207 ``iss`` on every one. ``redirect_uri`` is one the client registered."""
    params = [*params, ("iss", issuer)]
    if response_mode == "form_post":
        # OAuth 2.0 Form Post Response Mode: a page that POSTs the parameters to the client.
        response = render(
            request,
            "authserver/form_post.html",
            {"realm": request.realm, "redirect_uri": redirect_uri, "params": params},
        )
    else:
        # Not HttpResponseRedirect: a native client's registered URI may use its own scheme.
        response = HttpResponse(status=302)
        if response_mode == "fragment":
            # A registered redirect URI has no fragment (RFC 6749 §3.1.2): the answer is it.
            response["Location"] = f"{redirect_uri}#{urlencode(params)}"
        else:
            response["Location"] = add_params_to_uri(redirect_uri, params)
    return no_store(response)


def authorization_error(
    request, error, *, redirect_uri: str, response_mode: str, state: str | None, issuer: str
) -> HttpResponse:
    """RFC 6749 §4.1.2.1: the error goes back to the client; the detail only to the log."""
    if getattr(error, "detail", ""):
        log.info("%s: %s", error.error, error.detail)
    params = [("error", error.error)]
    if error.description:
        params.append(("error_description", error.description))
    if state is not None:
        params.append(("state", state))
    return authorization_response(
        request,
        redirect_uri=redirect_uri,
        response_mode=response_mode,
        params=params,
        issuer=issuer,
    )


def authorization_error_page(request, error: OAuthError) -> HttpResponse:
    """RFC 6749 §4.1.2.1: with no trustworthy redirect URI the user is told, never redirected."""
    if error.detail:
        log.info("%s: %s", error.error, error.detail)
    response = render(
        request,
        "authserver/error.html",
        {"realm": request.realm, "description": error.description or "Invalid request."},
        status=400,
    )
    return no_store(response)
