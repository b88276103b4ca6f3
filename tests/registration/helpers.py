"""Dynamic registration as a client does it: JSON to Keycloak's registration endpoint, with an
initial access token, then the registration access token for the client's configuration."""

import json

from authserver.registration import access_tokens
from authserver.registration.models import RegistrationPolicy

JSON = "application/json"
WEB = {
    "client_name": "Registered web app",
    "redirect_uris": ["https://rp.example/cb"],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "scope": "openid profile",
}
MACHINE = {
    "grant_types": ["client_credentials"],
    "token_endpoint_auth_method": "client_secret_post",
}


def endpoint(realm) -> str:
    return f"/realms/{realm.name}/clients-registrations/openid-connect"


def open_registration(realm, **fields) -> RegistrationPolicy:
    policy, _ = RegistrationPolicy.objects.update_or_create(
        realm=realm, defaults={"enabled": True, **fields}
    )
    return policy


def initial_token(realm, *, count=5, lifetime=3600) -> str:
    return access_tokens.issue_initial(realm, count=count, lifetime=lifetime)[1]


def bearer(token: str | None) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def register(http, realm, body, token):
    return http.post(endpoint(realm), json.dumps(body), content_type=JSON, **bearer(token))


def configuration(http, method: str, uri: str, token, body=None):
    send = getattr(http, method.lower())
    if body is None:
        return send(uri, **bearer(token))
    return send(uri, json.dumps(body), content_type=JSON, **bearer(token))
