"""The one oauthlib server of this process (building it per request would cost every request)."""

import functools

from oauth2_provider.oauth2_backends import get_oauthlib_core


@functools.cache
def core():
    return get_oauthlib_core()
