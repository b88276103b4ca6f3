"""Who an access token is for: its ``aud`` (RFC 9068 §2.2), as Keycloak resolves it.

- every audience the granted scopes' audience mappers name (``oidc-audience-mapper``);
- every client whose roles the token carries in ``resource_access``, but the token's own
  client (Keycloak's ``oidc-audience-resolve-mapper``): a holder of ``realm-management`` roles
  gets ``realm-management``, the admin API's audience, and no other holder gets it;
- ``realm-management`` for a superuser of the master realm, who administers every realm;
- when none of these names anyone, the client itself.

A token exchange (RFC 8693) names its one audience instead (grants/token_exchange.py).
"""

from accounts.models import MASTER_REALM, Realm, User

# The client id of every realm's realm-management client: the audience of admin API tokens.
ADMIN_API = "realm-management"


def resolve(
    realm: Realm,
    client_id: str,
    user: User | None,
    *,
    scope_audiences,
    resource_access: dict,
) -> list[str]:
    """The ``aud`` of an access token issued to ``client_id`` for ``user``."""
    found = set(scope_audiences)
    found |= {
        name for name, access in resource_access.items() if name != client_id and access["roles"]
    }
    if user is not None and user.is_superuser and realm.name == MASTER_REALM:
        found.add(ADMIN_API)
    return sorted(found) or [client_id]
