"""What a realm's provider offers, said exactly: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2
metadata, and Keycloak's realm document at the issuer URL itself. Plain dicts.

Every relying party fetches these, so each process builds a realm's documents at most once per
``DOCUMENT_SECONDS`` (accounts/process_cache.py), like the realm row and the key ring
(keys/store.py) they are built from: a change saved in this process is seen at once, other
processes see it within this window and the key ring's.
"""

import base64
import functools

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from accounts.models import ClientScope, Realm
from accounts.process_cache import ProcessCache
from accounts.realms import for_realm
from authserver.keys import store
from authserver.keys.models import SigningKey
from authserver.protocol import (
    client_assertion,
    device,
    dpop,
    mtls,
    request_objects,
    token_exchange,
)
from authserver.protocol.authorization import RESPONSE_MODES
from authserver.registration import endpoint as registration_endpoint
from authserver.registration import policy
from authserver.registration.models import RegistrationPolicy

# Verifiers may cache the documents this long; the signing algorithms change only with the keys,
# which are published (JWKS_MAX_AGE) well before they sign.
MAX_AGE = store.JWKS_MAX_AGE

GRANT_TYPES = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    token_exchange.GRANT_TYPE,  # RFC 8693
    device.GRANT_TYPE,  # RFC 8628
)
# RFC 7636 §4.2: "plain" is refused (server.py).
CODE_CHALLENGE_METHODS = ("S256",)
# How a confidential client authenticates (RFC 8414 §2, OIDC Core §9).
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
# A public client has nothing to authenticate with (RFC 7591 §2 "none"): it uses the token
# endpoint with PKCE and may revoke its own tokens, but may not introspect.
PUBLIC_CLIENT_AUTH = "none"
PROMPT_VALUES = ("none", "login", "consent")
# Every claim an ID token, access token or UserInfo response of ours may carry
# (tokens.identity_claims, claims.profile_claims, the validator's ID token).
CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "preferred_username",
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "realm_access",
    "resource_access",
)


def endpoints(realm: Realm) -> dict[str, str]:
    """Keycloak's paths under ``{issuer}/protocol/openid-connect``."""
    base = f"{realm.issuer}/protocol/openid-connect"
    return {
        "authorization_endpoint": f"{base}/auth",
        "token_endpoint": f"{base}/token",
        "introspection_endpoint": f"{base}/token/introspect",
        "userinfo_endpoint": f"{base}/userinfo",
        "end_session_endpoint": f"{base}/logout",
        # OIDC Session Management 1.0 §3.3.
        "check_session_iframe": f"{base}/login-status-iframe.html",
        "jwks_uri": f"{base}/certs",
        "revocation_endpoint": f"{base}/revoke",
        # RFC 9126 §5.
        "pushed_authorization_request_endpoint": f"{base}/ext/par/request",
        # RFC 8628 §4, at Keycloak's path.
        "device_authorization_endpoint": f"{base}/auth/device",
    }


def signing_algorithms(realm: Realm) -> list[str]:
    """The algorithms of the realm's published keys, the signing key's first: during a change
    of algorithm a verifier meets both."""
    found: list[str] = []
    for key in store.jwks(realm)["keys"]:
        if key["alg"] not in found:
            found.append(key["alg"])
    return found


def scope_names(realm: Realm) -> list[str]:
    defined = for_realm(ClientScope, realm).filter(protocol="openid-connect")
    return sorted(set(ClientScope.BUILT_IN) | set(defined.values_list("name", flat=True)))


def _client_auth(*, public: bool) -> dict[str, list[str]]:
    methods = [*CLIENT_AUTH_METHODS, *mtls.methods()] + ([PUBLIC_CLIENT_AUTH] if public else [])
    return {"methods": methods, "algorithms": list(client_assertion.ALGORITHMS)}


# The endpoints a client authenticates at, or presents a bound token to: those with an alias
# on the mTLS host (RFC 8705 §5).
MTLS_ENDPOINTS = (
    "token_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "userinfo_endpoint",
    "pushed_authorization_request_endpoint",
    "device_authorization_endpoint",
)


def _mtls(realm: Realm) -> dict:
    """RFC 8705 §3.3 and §5, where client certificates reach this server."""
    if not mtls.enabled():
        return {}
    found: dict = {"tls_client_certificate_bound_access_tokens": True}
    if settings.AUTHSERVER_MTLS_URL:
        prefix = settings.AUTHSERVER_URL
        aliased = endpoints(realm)
        found["mtls_endpoint_aliases"] = {
            name: settings.AUTHSERVER_MTLS_URL + aliased[name].removeprefix(prefix)
            for name in MTLS_ENDPOINTS
        }
    return found


DOCUMENT_SECONDS = 5
# Entries exist only for enabled realms (the middleware answers 404 first); a bound all the same.
# What the documents are built from: the realm, its client scopes (scopes_supported), its keys.
_documents = ProcessCache("discovery", seconds=DOCUMENT_SECONDS, max_entries=1_000)
_documents.forget_on_change(Realm, ClientScope, SigningKey, RegistrationPolicy)


def _mtls_settings() -> tuple:
    return (
        settings.AUTHSERVER_MTLS_ENABLED,
        settings.AUTHSERVER_MTLS_CA,
        settings.AUTHSERVER_MTLS_URL,
    )


def _cached(build):
    """``build(realm)`` served from this process's copy: the same dict for the whole window, so
    that a caller may encode it once (views/documents.py). Callers must not change it."""

    @functools.wraps(build)
    def cached(realm: Realm) -> dict:
        # The issuer too: a renamed realm, or another AUTHSERVER_URL, is another document; and
        # what the settings offer of mutual TLS.
        key = (build.__name__, realm.pk, realm.issuer, *_mtls_settings())
        return _documents.get(key, lambda: build(realm))

    return cached


@_cached
def metadata(realm: Realm) -> dict:
    """OpenID Provider Metadata (Discovery §3), which is also RFC 8414 §2 metadata: only what
    this server does, so that a client never picks a feature we lack."""
    token_auth = _client_auth(public=True)
    introspection_auth = _client_auth(public=False)
    algorithms = signing_algorithms(realm)
    return (
        {
            "issuer": realm.issuer,
            **endpoints(realm),
            "grant_types_supported": list(GRANT_TYPES),
            "response_types_supported": ["code"],
            "response_modes_supported": list(RESPONSE_MODES),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algorithms,
            "scopes_supported": scope_names(realm),
            "claims_supported": list(CLAIMS),
            "claim_types_supported": ["normal"],
            "code_challenge_methods_supported": list(CODE_CHALLENGE_METHODS),
            "token_endpoint_auth_methods_supported": token_auth["methods"],
            "token_endpoint_auth_signing_alg_values_supported": token_auth["algorithms"],
            "introspection_endpoint_auth_methods_supported": introspection_auth["methods"],
            "introspection_endpoint_auth_signing_alg_values_supported": introspection_auth[
                "algorithms"
            ],
            "revocation_endpoint_auth_methods_supported": token_auth["methods"],
            "revocation_endpoint_auth_signing_alg_values_supported": token_auth["algorithms"],
            # RFC 9207: every authorization response carries iss.
            "authorization_response_iss_parameter_supported": True,
            "require_pushed_authorization_requests": False,
            "request_parameter_supported": True,
            "request_object_signing_alg_values_supported": list(request_objects.ALGORITHMS),
            "request_uri_parameter_supported": False,
            "claims_parameter_supported": False,
            "frontchannel_logout_supported": True,
            "frontchannel_logout_session_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "prompt_values_supported": list(PROMPT_VALUES),
            "acr_values_supported": ["1", "2", "mfa"],
            # RFC 9449 §5.1: any client may bind its tokens to a key (protocol/dpop.py).
            "dpop_signing_alg_values_supported": list(dpop.ALGORITHMS),
        }
        | _registration(realm)
        | _mtls(realm)
    )


def _registration(realm: Realm) -> dict:
    """RFC 8414 §2's registration endpoint, where the realm lets clients register (RFC 7591)."""
    if not policy.is_enabled(realm):
        return {}
    return {"registration_endpoint": registration_endpoint(realm)}


def public_key(realm: Realm) -> str:
    """The signing key's public half as Keycloak's realm document gives it: base64 (not URL
    safe) of the DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)."""
    kid = store.signing_key(realm)["kid"]
    key = store.verification_key(realm, kid).get_op_key("verify")
    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@_cached
def realm_info(realm: Realm) -> dict:
    """Keycloak's document at ``{issuer}``, read by its adapters to find the realm's key."""
    return {
        "realm": realm.name,
        "public_key": public_key(realm),
        "token-service": f"{realm.issuer}/protocol/openid-connect",
        "account-service": f"{realm.issuer}/account",
        "tokens-not-before": 0,
    }
