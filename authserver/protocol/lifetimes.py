"""Token lifetimes, per realm (Keycloak's accessTokenLifespan and SSO session settings)."""

from authserver.protocol.backend import REALM


def access_token_seconds(request) -> int:
    """oauthlib's ``expires_in`` for the request's realm."""
    return request.headers[REALM].access_token_lifespan
