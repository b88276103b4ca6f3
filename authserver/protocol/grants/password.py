"""The resource owner password credentials grant (RFC 6749 §4.3), Keycloak's "direct access
grant", for the clients that turn it on (``directAccessGrantsEnabled``): command-line tools and
scripts such as ``admin-cli``.

RFC 9700 §2.4: the password grant MUST NOT be used: the client sees the user's password, and
no second factor or consent page can be shown. It is off for every client unless turned on, as
in Keycloak, where admin-cli has it for kcadm and the admin client libraries. A client with it
still gets no more than the user's own roles, and every attempt goes through what a login page
goes through: the per-username rate limit of the login forms (AUTHSERVER_RATE_LOGIN, the same
bucket, so the two paths share one allowance), the token endpoint's limits, and the realm's
brute-force lockout (accounts/backends.py). A user with a temporary password is refused: the
password must be changed on the login page first.
"""

from django.contrib.auth import authenticate
from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors

from accounts import audit, ratelimit, sessions
from authserver.models import DIRECT_ACCESS_ATTRIBUTE, Client
from authserver.protocol import client_policies, throttling
from authserver.protocol.backend import ADDRESS, REALM

GRANT_TYPE = "password"
ATTRIBUTE = DIRECT_ACCESS_ATTRIBUTE
_MAX_USERNAME = 255


def enabled(client: Client) -> bool:
    """Whether ``client`` may use the password grant (off unless turned on; never under FAPI 2.0,
    §5.3.2.1 item 2)."""
    return (
        client.direct_access_grants_enabled and client_policies.requirements(client).password_grant
    )


def authenticated_user(username: str, password: str, client: Client, request):
    """The user these credentials name in the request's realm, or None (invalid_grant); raises
    unauthorized_client before any password is looked at if the client may not use the grant,
    and 429 once the username's login allowance is spent."""
    if not enabled(client):
        raise oauthlib_errors.UnauthorizedClientError(request=request)
    realm = request.headers[REALM]
    wait = ratelimit.limit_all([ratelimit.username_bucket("login", realm, username)], shared=True)
    if wait is not None:
        raise throttling.TooManyRequests(wait, request=request)
    user = authenticate(None, username=username, password=password, realm=realm)
    if user is None or user.password_temporary:
        audit.user_event(
            "LOGIN_ERROR",
            realm=realm,
            username=username[:_MAX_USERNAME],
            client_id=client.client_id,
            error="invalid_user_credentials" if user is None else "resolve_required_actions",
        )
        return None
    return user


def start_session(request) -> None:
    """Once the whole request is valid (oauthlib's post-token check: scopes too), the session
    its tokens belong to, so that a refused request leaves none behind."""
    client, user = request.client, request.user
    request.sso_session = sessions.start_without_cookie(
        user, ip_address=request.headers.get(ADDRESS)
    )
    audit.user_event(
        "LOGIN",
        realm=user.realm,
        user=user,
        client_id=client.client_id,
        details={"grant_type": GRANT_TYPE, "sid": str(request.sso_session.sid)},
    )
