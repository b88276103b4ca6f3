"""The UserInfo response (OpenID Connect Core 1.0 §5.3): the user's current claims, as far as
the access token's scopes release them."""

from authserver.protocol import claims
from authserver.protocol.bearer import INVALID, Bearer
from authserver.protocol.errors import InsufficientScope, InvalidToken

REQUIRED_SCOPE = "openid"


def claims_of(bearer: Bearer) -> dict:
    """``sub``, Keycloak's ``preferred_username``, and the profile and email claims of the
    token's scopes (§5.4). A token issued without ``openid`` is not for this endpoint (§5.3.1).
    """
    if REQUIRED_SCOPE not in bearer.scopes:
        raise InsufficientScope(
            "the access token was not issued with the openid scope",
            detail=f"userinfo refused: scopes {sorted(bearer.scopes)}",
        )
    user = bearer.user
    if user is None:
        raise InvalidToken(INVALID, detail="access token without a user")
    found = {"sub": str(user.subject), "preferred_username": user.username}
    found |= claims.profile_claims(user, bearer.scopes)
    return found
