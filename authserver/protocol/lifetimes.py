"""Token lifetimes, per realm (Keycloak's accessTokenLifespan and SSO session settings)."""

import time

from authserver.protocol.backend import REALM


def access_token_seconds(request) -> int:
    """oauthlib's ``expires_in`` for the request's realm; a token from a token exchange never
    outlives the token it was exchanged for (``expires_not_after``, grants/token_exchange.py).
    """
    lifespan = request.headers[REALM].access_token_lifespan
    not_after = getattr(request, "expires_not_after", None)
    if not_after is not None:
        lifespan = max(0, min(lifespan, not_after - int(time.time())))
    return lifespan
