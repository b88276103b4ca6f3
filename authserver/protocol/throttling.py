"""Rate limits of the token endpoint (AUTHSERVER_RATE_TOKEN), on accounts.ratelimit's buckets.

Two buckets, charged together in one round trip at most (far from its limit a bucket is leased
to the process a few tokens at a time: accounts/ratelimit.py) once the request's client has tried
to authenticate: the client's address, whatever the outcome (so guessing secrets is limited), and
the confidential client, only if it did authenticate (so nobody can spend a client's allowance by
sending its client_id). Public clients are limited by address only: their client_id is public
and shared by every user of the app. Requests refused before any client is looked at (a
malformed form, an unsupported grant type) are not charged: refusing them costs less than the
limiter would. A refused request is 429 with Retry-After and the error
``temporarily_unavailable`` (errors.RateLimited).
"""

from django.conf import settings
from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors

from accounts import ratelimit
from authserver.protocol.backend import ADDRESS
from authserver.protocol.errors import RateLimited


def check(request, *, authenticated) -> None:
    """For an oauthlib token request whose client has just tried to authenticate (or, for a
    public client, been identified); ``authenticated`` is the confidential client that did, or
    None. Charged once per request; raises oauthlib's error, which the grant turns into the
    response."""
    if getattr(request, "rate_limited_once", False):
        return
    request.rate_limited_once = True
    rate = settings.AUTHSERVER_RATE_TOKEN
    buckets = [("token-ip", request.headers.get(ADDRESS) or "", rate)]
    if authenticated is not None:
        key = f"{authenticated.realm_id}:{authenticated.client_id}"
        buckets.append(("token-client", key, rate))
    wait = ratelimit.limit_all(buckets)
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
