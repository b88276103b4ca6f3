"""``id_token_hint`` (OIDC Core §3.1.2.1, RP-Initiated Logout §2): an ID token this realm issued,
handed back by a client to name the user it expects. An expired one is still a fine hint."""

from accounts.models import Realm
from authserver.protocol import jwt
from authserver.protocol.errors import InvalidRequest


def claims(realm: Realm, token: str) -> dict:
    """The hint's claims once its signature and issuer hold; InvalidRequest otherwise."""
    try:
        found = jwt.verify(realm, token, check_expiry=False)
    except jwt.BadToken as error:
        raise InvalidRequest("id_token_hint is not valid", detail=str(error)) from None
    if found.get("typ") != "ID":
        raise InvalidRequest("id_token_hint is not an ID token")
    return found


def audiences(found: dict) -> set[str]:
    audience = found.get("aud")
    return {audience} if isinstance(audience, str) else set(audience or [])
