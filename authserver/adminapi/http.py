"""The one HTTP adapter of the admin API: a view per route that authenticates the caller,
finds the realm, checks the role, reads the JSON body, runs the handler and answers.

The order of refusals: 405 (method), 401 (no or bad token), 404 (realm not visible to the
caller), 403 (role missing), 415/413/400 (body), then the handler's own 400/403/404/409, and
last 403 if the change moved an admin role the caller may not grant (accounts.permissions).
"""

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Realm
from accounts.permissions import Refused, guarded
from authserver.adminapi import permissions, validation
from authserver.adminapi.api import Context, Result
from authserver.adminapi.errors import (
    AdminError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooLarge,
    UnsupportedMediaType,
    invalid_field,
)
from authserver.protocol import dpop, presentation
from authserver.protocol.errors import InvalidDPoPProof, OAuthError, UseDPoPNonce
from authserver.realmfile.errors import RealmFileError

log = logging.getLogger("authserver.adminapi")

MAX_BODY = 256 * 1024
JSON = "application/json"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The RFC 6750 realm of the challenge: the admin API as a whole.
_CHALLENGE_REALM = "admin"


def view(route):
    """The Django view serving ``route`` (routes.Route)."""

    @csrf_exempt
    def serve(request, **kwargs):
        response = _serve(request, route, kwargs)
        for name, value in _NO_STORE.items():
            response[name] = value
        # RFC 9449 §9: a fresh nonce for the next proof of a caller that sent one.
        realm = getattr(request, "dpop_realm", None)
        if realm is not None and dpop.NONCE_HEADER not in response:
            response[dpop.NONCE_HEADER] = dpop.nonce(realm)
        return response

    serve.route = route
    return serve


@csrf_exempt
def unknown_path(request, **kwargs):
    """Every path under /admin/realms that is no route: 404 in JSON, whatever the method."""
    response = _error(NotFound("no such resource"))
    for name, value in _NO_STORE.items():
        response[name] = value
    return response


def _serve(request, route, kwargs) -> HttpResponse:
    operation = route.operations.get(request.method)
    if operation is None:
        allowed = ", ".join(route.operations)
        response = _error(BadRequest(f"use {allowed}"), status=405)
        response["Allow"] = allowed
        return response
    authorization = request.headers.get("Authorization")
    scheme = presentation.scheme_of(authorization)
    try:
        given = presentation.presented(authorization=authorization, form_values=[])
        if given.token is None:
            return _challenge(None)
        caller = permissions.authenticate(
            given,
            proof=request.headers.get(dpop.HEADER),
            method=request.method,
            # The URL the client called, as its DPoP proof names it: the public one.
            url=settings.AUTHSERVER_URL + request.path,
            environ=request.META,
        )
    except OAuthError as error:
        return _challenge(error, scheme=scheme)
    if dpop.HEADER in request.headers:
        request.dpop_realm = caller.realm
    try:
        realm = _realm(caller, kwargs.pop("realm", None))
        if (
            operation.role is not None
            and realm is not None
            and not caller.may(realm, operation.role)
        ):
            raise Forbidden(f"this needs the {operation.role} role of realm-management")
        if operation.master_only and not caller.superuser:
            raise Forbidden("only a superuser of the master realm may do this")
        context = Context(
            caller=caller,
            realm=realm,
            body=_body(request) if operation.request else None,
            query=request.GET.dict(),
            request=request,
        )
        if request.method == "GET":
            return _response(operation.handler(context, **kwargs))
        # The grant rule compares the realm's admin roles before and after the change, and the
        # answer is built before the commit: a refusal, or an answer that cannot be sent, rolls
        # the change back.
        with transaction.atomic(), guarded(caller.authority, [realm.pk] if realm else []):
            return _response(operation.handler(context, **kwargs))
    except AdminError as error:
        return _error(error)
    except Refused as error:
        return _error(Forbidden(str(error)))
    except RealmFileError as error:
        return _error(invalid_field(error.path, error.message))
    except ValidationError as error:
        return _error(_validation_error(error))
    except IntegrityError as error:
        log.info("admin API conflict: %s", error)
        return _error(Conflict("it conflicts with an object that exists"))


def _realm(caller, name: str | None) -> Realm | None:
    if name is None:
        return None
    realm = Realm.objects.filter(name=name).first()
    if realm is None or not caller.sees(realm):
        raise NotFound("no such realm")
    return realm


def _body(request) -> object:
    """The JSON body: 415 if it is not JSON, 413 if too large, 400 if unreadable."""
    if request.content_type != JSON:
        raise UnsupportedMediaType(f"send the body as {JSON}")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        raise TooLarge(f"the body may hold at most {MAX_BODY} bytes")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise TooLarge(f"the body may hold at most {MAX_BODY} bytes") from None
    if len(raw) > MAX_BODY:
        raise TooLarge(f"the body may hold at most {MAX_BODY} bytes")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    return validation.checked_body(body)


def _validation_error(error: ValidationError) -> BadRequest:
    if hasattr(error, "message_dict"):
        fields = {name: " ".join(messages) for name, messages in error.message_dict.items()}
    else:
        fields = {"(body)": " ".join(error.messages)}
    return BadRequest("; ".join(f"{name}: {text}" for name, text in fields.items()), fields=fields)


def _response(result: Result) -> HttpResponse:
    if result.status == 204:
        response = HttpResponse(status=204)
    else:
        response = JsonResponse(result.body, status=result.status, safe=False)
    if result.location:
        response["Location"] = result.location
    return response


def _error(error: AdminError, *, status: int | None = None) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=status or error.status)


def _challenge(error: OAuthError | None, *, scheme: str = "Bearer") -> HttpResponse:
    """RFC 6750 §3: no error code when no token came at all; else invalid_token (401) or
    invalid_request (400) with the public description only, in the scheme the request used
    (RFC 9449 §7.1: a refused DPoP proof is a 401, and the challenge names the algorithms)."""
    attributes = [f'realm="{_CHALLENGE_REALM}"']
    if error is None:
        response = JsonResponse(
            {"error": "unauthorized", "error_description": "a bearer access token is required"},
            status=401,
        )
    else:
        if error.detail:
            log.info("%s: %s", error.error, error.detail)
        status = 401 if isinstance(error, InvalidDPoPProof | UseDPoPNonce) else error.status
        response = JsonResponse(error.as_dict(), status=status)
        attributes.append(f'error="{error.error}"')
        if isinstance(error, UseDPoPNonce) and error.nonce:
            response[dpop.NONCE_HEADER] = error.nonce
    if scheme == presentation.DPOP:
        attributes.append(f'algs="{" ".join(dpop.ALGORITHMS)}"')
    response["WWW-Authenticate"] = f"{scheme} " + ", ".join(attributes)
    return response
