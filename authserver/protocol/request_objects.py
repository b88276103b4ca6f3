"""Request objects by value (RFC 9101, OIDC Core §6.1): the authorization request as a JWT the
client signed with a key it registered (Keycloak's ``jwks.string``, as for private_key_jwt), in
the ``request`` parameter of the authorization endpoint or of a pushed request (RFC 9126 §3).

Only the object's parameters count (RFC 9101 §5); the ``client_id`` outside must name the
client that signed it. Unsigned objects (``alg: none``) and objects meant for another issuer
are refused; so is a ``request_uri`` other than a pushed request's. Every refusal is shown to
the user, never redirected: until the signature is checked, nothing in the object, its
redirect URI least of all, may be trusted.

Keycloak's client attribute ``request.object.required`` (``request or request_uri``,
``request only``, ``request_uri only``) makes a client's plain requests fail; here a pushed
request is Keycloak's ``request_uri``.
"""

import json
import time

from accounts.models import Realm
from authserver.models import Client
from authserver.protocol import authorization, client_assertion, directory, jwt
from authserver.protocol.errors import InvalidRequest, OAuthError

ALGORITHMS = tuple(client_assertion.ALGORITHMS)
REQUIRED_ATTRIBUTE = "request.object.required"
_BY_VALUE = ("request or request_uri", "request only")
_BY_REFERENCE = ("request or request_uri", "request_uri only")
# The JWT's own claims, not authorization parameters.
_JWT_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti", "sub"})
LEEWAY = 30


class InvalidRequestObject(OAuthError):
    """OIDC Core §3.1.2.6."""

    error, status = "invalid_request_object", 400
    redirectable = False


def expand(realm: Realm, params: dict[str, list[str]]) -> dict[str, list[str]]:
    """The authorization parameters of ``params``' request object, once its signature by the
    client named outside is checked."""
    raw, client_id = (
        authorization.required_once(params, "request"),
        authorization.required_once(params, "client_id"),
    )
    client = directory.client(realm, client_id)
    if client is None:
        raise authorization.fatal(InvalidRequest("Client not found."))
    try:
        keys = client_assertion.registered_keys(client)
        claims = jwt.verified_claims(raw, client_assertion.key_finder(keys))
    except (client_assertion.AssertionRejected, jwt.BadToken) as error:
        raise InvalidRequestObject(
            "The request object could not be verified.", detail=str(error)
        ) from None
    _check_claims(realm, client, claims)
    found = {"client_id": [client.client_id]}
    for name, value in claims.items():
        if name in _JWT_CLAIMS or value is None:
            continue
        if name in ("request", "request_uri"):
            raise InvalidRequestObject(f"A request object must not hold {name}.")
        found[name] = [_as_parameter(value)]
    return found


def check_required(client: Client, *, by_value: bool, by_reference: bool) -> None:
    """Keycloak's ``request.object.required`` for ``client``'s authorization request."""
    required = client.attributes.get(REQUIRED_ATTRIBUTE, "not required")
    if required in _BY_VALUE and by_value:
        return
    if required in _BY_REFERENCE and by_reference:
        return
    if required in (*_BY_VALUE, *_BY_REFERENCE):
        raise InvalidRequest(f"This client's requests must come as: {required}.")


def _check_claims(realm: Realm, client: Client, claims: dict) -> None:
    now = time.time()
    if claims.get("iss") != client.client_id:
        raise InvalidRequestObject("The request object's iss must be the client_id.")
    if claims.get("client_id", client.client_id) != client.client_id:
        raise InvalidRequestObject("The request object names another client.")
    aud = claims.get("aud")
    audiences = {aud} if isinstance(aud, str) else set(aud if isinstance(aud, list) else [])
    if realm.issuer not in audiences:
        raise InvalidRequestObject("The request object's aud must be the issuer.")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is not None and (not client_assertion.is_time(exp) or exp + LEEWAY < now):
        raise InvalidRequestObject("The request object has expired.")
    if nbf is not None and (not client_assertion.is_time(nbf) or nbf > now + LEEWAY):
        raise InvalidRequestObject("The request object is not valid yet.")


def _as_parameter(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value)  # e.g. the claims parameter, a JSON object
    return str(value)
