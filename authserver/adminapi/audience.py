"""Which access tokens are meant for the admin API.

A live token of the realm is not enough: the token a web app sent to the order service (``aud``
``orders``) is live too. The admin API takes a token only when

1. its ``aud`` names ``realm-management``: what the tokens of holders of realm-management roles
   carry (protocol/audiences.py, Keycloak's audience resolution), and a token minted for
   another service does not;
2. it was issued to a client the realm lets call the admin API: a client listed in the
   ``admin.api.clients`` attribute of the realm's realm-management client (client ids,
   space-separated; without the attribute, Keycloak's admin clients ``admin-cli`` and
   ``security-admin-console``), or a client calling as its own service account, to which the
   roles were granted. Only a holder of realm-admin changes that list or those clients
   (accounts.permissions, the admin API's door).

Either refusal is RFC 6750's ``invalid_token`` (401): the token is not good here.
"""

from accounts import permissions
from accounts.models import Realm
from accounts.realms import for_realm
from authserver.adminapi import realm_management
from authserver.models import Client
from authserver.protocol.bearer import Bearer
from authserver.protocol.errors import InvalidToken

CLIENTS_ATTRIBUTE = permissions.ADMIN_CLIENTS_ATTRIBUTE

NOT_FOR_ADMIN_API = "the access token is not meant for the admin API"
CLIENT_NOT_ALLOWED = "the access token's client may not call the admin API"


def check(realm: Realm, presented: Bearer) -> None:
    """Refuse ``presented`` (a live token of ``realm``) unless it is meant for the admin API."""
    client_id = presented.client.client_id
    if realm_management.CLIENT_ID not in _audiences(presented.claims):
        raise InvalidToken(
            NOT_FOR_ADMIN_API,
            detail=f"admin API: a token of {client_id} without audience realm-management",
        )
    if not _own_service_account(presented) and client_id not in allowed_clients(realm):
        raise InvalidToken(
            CLIENT_NOT_ALLOWED,
            detail=f"admin API: {client_id} is not among {CLIENTS_ATTRIBUTE} of {realm.name}",
        )


def allowed_clients(realm: Realm) -> tuple[str, ...]:
    """The clients whose users' tokens the realm accepts at the admin API."""
    attributes = (
        for_realm(Client, realm)
        .filter(client_id=realm_management.CLIENT_ID)
        .values_list("attributes", flat=True)
        .first()
    )
    return permissions.admin_clients(attributes)


def _audiences(claims: dict) -> list:
    audience = claims.get("aud")
    return [audience] if isinstance(audience, str) else list(audience or [])


def _own_service_account(presented: Bearer) -> bool:
    account_id = presented.client.service_account_id
    return presented.user is not None and account_id is not None and account_id == presented.user.pk
