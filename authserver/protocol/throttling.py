"""Rate limits of the token endpoint (AUTHSERVER_RATE_TOKEN), on accounts.ratelimit's buckets.

Two buckets: the client's address, charged before anything is parsed; and the confidential
client, charged once it has authenticated, so that nobody can spend a client's allowance by
sending its client_id. Public clients are limited by address only: their client_id is public and
shared by every user of the app. A refused request is 429 with Retry-After and the error
``temporarily_unavailable`` (errors.RateLimited).
"""

from django.conf import settings
from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors

from accounts import ratelimit
from authserver.protocol.errors import RateLimited


def check_address(address: str) -> None:
    """RateLimited when ``address`` has used up its allowance at the token endpoint."""
    wait = ratelimit.limit("token-ip", address, settings.AUTHSERVER_RATE_TOKEN)
    if wait is not None:
        raise RateLimited(wait, detail=f"token endpoint: {address} is over its rate")


def check_client(request) -> None:
    """For an oauthlib request whose confidential client has just authenticated; raises
    oauthlib's error, which the grant turns into the response."""
    client = request.client
    key = f"{client.realm_id}:{client.client_id}"
    wait = ratelimit.limit("token-client", key, settings.AUTHSERVER_RATE_TOKEN)
    if wait is not None:
        raise TooManyRequests(wait, request=request)


class TooManyRequests(oauthlib_errors.CustomOAuth2Error):
    """RateLimited, as oauthlib's grants return errors: their headers go into the response."""

    def __init__(self, retry_after: int, *, request):
        error = RateLimited(retry_after)
        super().__init__(
            error=error.error,
            description=error.description,
            status_code=error.status,
            request=request,
        )
        self.retry_after = retry_after

    @property
    def headers(self):
        return {**super().headers, "Retry-After": str(self.retry_after)}
