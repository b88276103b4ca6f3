"""Pushed authorization requests (RFC 9126): a client sends its authorization request to the
server first, authenticated, and the browser then carries only a short-lived reference to it.

``push`` keeps a request that passed the authorization endpoint's own checks (the client, its
redirect URI, the well-formedness checks); ``resolve`` gives it back to the authorization
endpoint for the client that pushed it, which then uses the pushed parameters only (§4);
``spend`` drops it once the endpoint has answered the client. Plain values in, typed errors out.
"""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import Realm
from authserver.models import Client, PushedRequest
from authserver.protocol import authorization, client_policies, request_objects
from authserver.protocol.errors import InvalidRequest, OAuthError

URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# RFC 9126 §2.2: short-lived; Keycloak's default is 60 seconds.
LIFETIME_SECONDS = 60
# Keycloak's client attribute.
REQUIRED_ATTRIBUTE = "require.pushed.authorization.requests"
_MAX_URI_LENGTH = 200


class InvalidRequestUri(OAuthError):
    """OIDC Core §3.1.2.6, RFC 9126 §4."""

    error, status = "invalid_request_uri", 400


def is_required(client: Client) -> bool:
    """Keycloak's client attribute, or a client policy (``secure-par-content``, FAPI 2.0)."""
    return (
        str(client.attributes.get(REQUIRED_ATTRIBUTE, "false")).lower() == "true"
        or client_policies.requirements(client).pushed_requests
    )


def names_pushed_request(params: authorization.Params) -> bool:
    """Whether the request refers to a pushed one; any other ``request_uri`` (a request object
    by reference, OIDC Core §6.2) is the authorization endpoint's to refuse."""
    return any(value.startswith(URI_PREFIX) for value in params.get("request_uri", []))


def _digest(uri: str) -> str:
    return hashlib.sha256(uri.encode()).hexdigest()


def push(realm: Realm, client: Client, params: authorization.Params) -> tuple[str, int]:
    """Keep ``params`` (already authenticated as ``client``'s) and answer its request URI and
    lifetime; the authorization endpoint's errors otherwise, as the PAR endpoint's (§2.3)."""
    if "request_uri" in params:
        raise InvalidRequest("request_uri must not be pushed")  # §2.1
    if "request" in params:
        # §3: a request object pushed; its parameters are the request.
        params = request_objects.expand(realm, params | {"client_id": [client.client_id]})
    named = params.get("client_id")
    if named is not None and named != [client.client_id]:
        raise InvalidRequest("client_id is not the authenticated client's")
    params = params | {"client_id": [client.client_id]}
    authorization.target(realm, params)
    authorization.check(params)
    authorization.check_policies(client, params)
    now = timezone.now()
    PushedRequest.objects.filter(expires__lte=now).delete()
    uri = URI_PREFIX + secrets.token_urlsafe(32)
    PushedRequest.objects.create(
        client=client,
        uri_hash=_digest(uri),
        params=params,
        expires=now + timedelta(seconds=LIFETIME_SECONDS),
    )
    return uri, LIFETIME_SECONDS


def resolve(realm: Realm, params: authorization.Params) -> tuple[str, authorization.Params]:
    """The pushed parameters ``params``' request URI names, for the client that pushed them
    (§4: only ``client_id`` and ``request_uri`` are read from the browser's request)."""
    uri = authorization.required_once(params, "request_uri")
    client_id = authorization.required_once(params, "client_id")
    found = None
    if uri.startswith(URI_PREFIX) and len(uri) <= _MAX_URI_LENGTH:
        found = (
            PushedRequest.objects.select_related("client")
            .filter(uri_hash=_digest(uri), expires__gt=timezone.now())
            .first()
        )
    if (
        found is None
        or found.client.realm_id != realm.pk
        or found.client.client_id != client_id
        or not found.client.enabled
    ):
        raise authorization.fatal(InvalidRequestUri("The request_uri is unknown, expired or used."))
    return uri, found.params


def spend(uri: str) -> None:
    """§4: a request URI is used once; the endpoint has answered the client."""
    PushedRequest.objects.filter(uri_hash=_digest(uri)).delete()
