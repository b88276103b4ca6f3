"""RFC 7591 §2 client metadata, read into Keycloak's client representation (which the realm file
and the admin API read, realmfile/reader.py), and written back from a saved client.

Only what this server does is accepted: the code flow (with refresh) and client credentials,
``response_types`` ``code``, the token endpoint methods of discovery, keys by value (``jwks``).
Metadata this server does not understand is ignored, as §2 requires; what it cannot do is
refused (``invalid_client_metadata``), never silently dropped.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from jwcrypto.common import JWException
from jwcrypto.jwk import JWKSet

from authserver.models import (
    BACKCHANNEL_SESSION_ATTRIBUTE,
    BACKCHANNEL_URL_ATTRIBUTE,
    CLIENT_JWT_AUTHENTICATOR,
    FRONTCHANNEL_SESSION_ATTRIBUTE,
    FRONTCHANNEL_URL_ATTRIBUTE,
    Client,
)
from authserver.protocol import dpop, origins
from authserver.protocol.errors import OAuthError
from authserver.redirect_uris import web_problem
from authserver.registration import certificates

AUTHORIZATION_CODE = "authorization_code"
GRANT_TYPES = (AUTHORIZATION_CODE, "refresh_token", "client_credentials")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
DEFAULT_AUTH_METHOD = "client_secret_basic"
# Human-facing URIs a consent page may show: kept as Keycloak keeps them, as client attributes.
_PAGE_URIS = {"logo_uri": "logoUri", "policy_uri": "policyUri", "tos_uri": "tosUri"}
_KEPT = ("client_uri", "contacts", "software_id", "software_version")
# The methods whose client registers keys: its signing keys, or its self-signed certificate.
_KEYED = ("private_key_jwt", "self_signed_tls_client_auth")
# Front-Channel Logout 1.0 §2 and Back-Channel Logout 1.0 §2.2: each URI with its
# session-required flag, kept as Keycloak's attributes.
_LOGOUT = {
    "frontchannel_logout_uri": (
        FRONTCHANNEL_URL_ATTRIBUTE,
        "frontchannel_logout_session_required",
        FRONTCHANNEL_SESSION_ATTRIBUTE,
    ),
    "backchannel_logout_uri": (
        BACKCHANNEL_URL_ATTRIBUTE,
        "backchannel_logout_session_required",
        BACKCHANNEL_SESSION_ATTRIBUTE,
    ),
}


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2."""

    error, status = "invalid_client_metadata", 400


class InvalidRedirectUri(InvalidClientMetadata):
    error = "invalid_redirect_uri"


@dataclass(frozen=True)
class Registration:
    """A registration request, read: the client as Keycloak represents it, and what of the
    metadata is kept beside it."""

    representation: dict
    metadata: dict
    method: str


def read(body: object, client_id: str) -> Registration:
    """The registration request ``body`` as client ``client_id``."""
    if not isinstance(body, dict):
        raise InvalidClientMetadata("the body must be a JSON object")
    grants = _strings(body, "grant_types", default=[AUTHORIZATION_CODE])
    for grant in grants:
        if grant not in GRANT_TYPES:
            raise InvalidClientMetadata(f"grant type {grant!r} is not supported")
    responses = _strings(
        body, "response_types", default=["code"] if AUTHORIZATION_CODE in grants else []
    )
    if any(kind != "code" for kind in responses):
        raise InvalidClientMetadata('only the response type "code" is supported')
    if ("code" in responses) != (AUTHORIZATION_CODE in grants):
        # RFC 7591 §2.1: the two must agree.
        raise InvalidClientMetadata('response type "code" goes with grant type authorization_code')
    method = body.get("token_endpoint_auth_method", DEFAULT_AUTH_METHOD)
    offered = (*AUTH_METHODS, *certificates.methods())
    if method not in offered:
        raise InvalidClientMetadata(f"token_endpoint_auth_method must be one of {offered}")
    public = method == "none"
    if public and "client_credentials" in grants:
        raise InvalidClientMetadata("client_credentials needs a client that authenticates")
    redirect_uris = _strings(body, "redirect_uris", default=[])
    if AUTHORIZATION_CODE in grants and not redirect_uris:
        raise InvalidRedirectUri("redirect_uris is required for the authorization_code grant")
    attributes = _attributes(body, method=method)
    attributes |= _logout_attributes(body, redirect_uris)
    representation = {
        "clientId": client_id,
        "name": _text(body, "client_name"),
        "publicClient": public,
        "redirectUris": redirect_uris,
        "webOrigins": ["+"] if public else [],
        "standardFlowEnabled": AUTHORIZATION_CODE in grants,
        "serviceAccountsEnabled": "client_credentials" in grants,
        "directAccessGrantsEnabled": False,
        "frontchannelLogout": FRONTCHANNEL_URL_ATTRIBUTE in attributes,
        "defaultClientScopes": _scopes(body),
        "attributes": attributes,
    }
    if method == "private_key_jwt":
        representation["clientAuthenticatorType"] = CLIENT_JWT_AUTHENTICATOR
    if method in certificates.AUTHENTICATORS:
        representation["clientAuthenticatorType"] = certificates.AUTHENTICATORS[method]
    kept = {name: body[name] for name in (*_PAGE_URIS, *_KEPT) if name in body}
    return Registration(representation, kept | {"token_endpoint_auth_method": method}, method)


def scopes_requested(registration: Registration) -> list[str]:
    return registration.representation["defaultClientScopes"]


def _attributes(body: dict, *, method: str) -> dict:
    attributes = {}
    if method == "none":
        attributes["pkce.code.challenge.method"] = "S256"
    post_logout = _strings(body, "post_logout_redirect_uris", default=[])
    if post_logout:
        attributes["post.logout.redirect.uris"] = "##".join(post_logout)
    if "jwks_uri" in body:
        raise InvalidClientMetadata("jwks_uri is not supported: give the keys as jwks")
    jwks = body.get("jwks")
    has_keys = isinstance(jwks, dict) and isinstance(jwks.get("keys"), list)
    if method in _KEYED and not has_keys:
        raise InvalidClientMetadata(f"{method} needs the client's keys as jwks")
    if jwks is not None:
        if method not in _KEYED:
            raise InvalidClientMetadata(f"jwks is used only with {' and '.join(_KEYED)}")
        attributes["jwks.string"] = _public_key_set(jwks)
    # RFC 9449 §5.2: the client always binds its tokens (Keycloak's attribute).
    bound = body.get("dpop_bound_access_tokens", False)
    if not isinstance(bound, bool):
        raise InvalidClientMetadata("dpop_bound_access_tokens is a boolean")
    if bound:
        attributes[dpop.REQUIRED_ATTRIBUTE] = "true"
    attributes |= certificates.attributes(body, method=method, invalid=InvalidClientMetadata)
    certificates.check(method, attributes, invalid=InvalidClientMetadata)
    for name, attribute in _PAGE_URIS.items():
        uri = _text(body, name)
        if uri:
            if origins.origin_of(uri) is None or urlsplit(uri).scheme != "https":
                raise InvalidClientMetadata(f"{name} must be an https URI")
            attributes[attribute] = uri
    return attributes


def _logout_attributes(body: dict, redirect_uris: list[str]) -> dict:
    """The front- and back-channel logout URIs (absolute http(s), no fragment; a front-channel
    URI at the origin of a redirect URI, Front-Channel Logout 1.0 §2) and their
    session-required flags (a boolean; when left out, ``iss`` and ``sid`` are sent all the
    same, as Keycloak does)."""
    found = {}
    for name, (attribute, flag, flag_attribute) in _LOGOUT.items():
        uri = _text(body, name)
        if uri:
            problem = web_problem(uri, name)
            if problem:
                raise InvalidClientMetadata(f"{name} {problem}")
            found[attribute] = uri
        value = body.get(flag)
        if value is not None:
            if not isinstance(value, bool):
                raise InvalidClientMetadata(f"{flag} is true or false")
            found[flag_attribute] = "true" if value else "false"
    front = found.get(FRONTCHANNEL_URL_ATTRIBUTE)
    if front and origins.origin_of(front) not in {origins.origin_of(u) for u in redirect_uris}:
        raise InvalidClientMetadata(
            "frontchannel_logout_uri must have the scheme, host and port of a redirect URI"
        )
    return found


def _public_key_set(jwks: dict) -> str:
    """The JWK Set as it will be kept, once every key in it is known to be a public key."""
    raw = json.dumps(jwks)
    try:
        keys = JWKSet.from_json(raw)["keys"]
    except (JWException, ValueError, TypeError, KeyError):
        raise InvalidClientMetadata("jwks is not a JWK Set") from None
    if not keys:
        raise InvalidClientMetadata("jwks holds no key")
    if any(key.has_private for key in keys):
        raise InvalidClientMetadata("jwks must hold public keys only")
    return raw


def _scopes(body: dict) -> list[str]:
    scope = body.get("scope")
    if scope is None:
        return []
    if not isinstance(scope, str):
        raise InvalidClientMetadata("scope is a space-separated string")
    return list(dict.fromkeys(scope.split()))


def _strings(body: dict, name: str, *, default: list[str]) -> list[str]:
    value = body.get(name)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        error = InvalidRedirectUri if "redirect_uris" in name else InvalidClientMetadata
        raise error(f"{name} is a list of strings")
    return list(dict.fromkeys(value))


def _text(body: dict, name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise InvalidClientMetadata(f"{name} is a string")
    return value


def of_client(client: Client, kept: dict) -> dict:
    """The client's metadata as RFC 7591 §3.2.1 and RFC 7592 §3 answer it: its fields as they
    are now, and what was kept from its registration."""
    grants = []
    if client.standard_flow_enabled:
        grants += [AUTHORIZATION_CODE, "refresh_token"]
    if client.service_accounts_enabled:
        grants.append("client_credentials")
    method = kept.get("token_endpoint_auth_method", DEFAULT_AUTH_METHOD)
    if client.is_public:
        method = "none"
    elif client.authenticator == CLIENT_JWT_AUTHENTICATOR:
        method = "private_key_jwt"
    elif method in ("none", "private_key_jwt", *certificates.AUTHENTICATORS):
        method = DEFAULT_AUTH_METHOD  # changed since (certificates.of_client tells a new one)
    found = {
        "client_id": client.client_id,
        "client_name": client.name,
        "redirect_uris": client.redirect_uris.split(),
        "grant_types": grants,
        "response_types": ["code"] if client.standard_flow_enabled else [],
        "token_endpoint_auth_method": method,
        "scope": " ".join(sorted(scope.name for scope in client.default_client_scopes.all())),
    }
    post_logout = client.post_logout_redirect_uris.split()
    if post_logout:
        found["post_logout_redirect_uris"] = post_logout
    jwks = client.attributes.get("jwks.string")
    if jwks:
        found["jwks"] = json.loads(jwks)
    if dpop.required(client):
        found["dpop_bound_access_tokens"] = True
    found |= certificates.of_client(client)
    if client.frontchannel_logout_url:
        found["frontchannel_logout_uri"] = client.frontchannel_logout_url
        found["frontchannel_logout_session_required"] = client.frontchannel_logout_session_required
    if client.backchannel_logout_url:
        found["backchannel_logout_uri"] = client.backchannel_logout_url
        found["backchannel_logout_session_required"] = client.backchannel_logout_session_required
    for name in (*_PAGE_URIS, *_KEPT):
        if name in kept:
            found[name] = kept[name]
    return found
