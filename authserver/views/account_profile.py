"""GET /realms/NAME/account with ``Accept: application/json`` and a bearer token: the user's
profile in the shape of Keycloak's account REST API, which keycloak-js's ``loadUserProfile``
reads. Anything else at that address is the account console's page (accounts.account_views).

The token must name Keycloak's ``account`` client among its audiences (in Keycloak its default
roles give every user's token that audience; here a client scope's audience mapper does).
"""

from django.views.decorators.cache import never_cache

from accounts import account_views
from authserver.protocol.errors import InsufficientScope, OAuthError
from authserver.views import presented_token, responses
from authserver.views.cors import cors
from authserver.views.dpop_nonce import offers_nonce

ACCOUNT_AUDIENCE = "account"


def account(request, *args, **kwargs):
    if request.method == "OPTIONS" or _asks_for_json(request):
        return _profile(request)
    return account_views.profile(request, *args, **kwargs)


def _asks_for_json(request) -> bool:
    return (
        request.method == "GET"
        and "application/json" in request.headers.get("Accept", "")
        and request.headers.get("Authorization", "").lower().startswith(("bearer ", "dpop "))
    )


@never_cache
@cors(methods=("GET",), credentials=True)
@offers_nonce
def _profile(request):
    realm = request.realm
    try:
        holder = presented_token.holder(request, url=f"{realm.issuer}/account")
        if holder is None:
            return responses.resource_challenge(realm.name)
        audiences = holder.claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else audiences or []
        if ACCOUNT_AUDIENCE not in audiences or holder.user is None:
            raise InsufficientScope("the token is not meant for the account service")
    except OAuthError as error:
        return responses.resource_challenge(
            realm.name, error, scheme=presented_token.scheme(request)
        )
    user = holder.user
    return responses.json_no_store(
        {
            "id": str(user.subject),
            "username": user.username,
            "email": user.email,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "emailVerified": user.email_verified,
            "attributes": {},
        }
    )
