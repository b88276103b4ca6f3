"""The ``realm-management`` client every realm has, and its roles (Keycloak's admin roles).

Granting a user (or a group, or a service account) one of these client roles lets its tokens
use the admin API on that realm: ``view-*`` to read, ``manage-*`` to change (and read);
``realm-admin`` is all of them. Their names, and who may grant them, are accounts.permissions'.
"""

from accounts.models import MASTER_REALM, Realm, Role
from accounts.permissions import (
    CLIENT_ID,
    MANAGE_CLIENTS,
    MANAGE_REALM,
    MANAGE_USERS,
    REALM_ADMIN,
    VIEW_CLIENTS,
    VIEW_REALM,
    VIEW_USERS,
)
from accounts.realms import for_realm
from authserver.models import Client
from authserver.protocol.grants import password

__all__ = [
    "CLIENT_ID",
    "MANAGE_CLIENTS",
    "MANAGE_REALM",
    "MANAGE_USERS",
    "REALM_ADMIN",
    "ROLES",
    "VIEW_CLIENTS",
    "VIEW_REALM",
    "VIEW_USERS",
    "ensure",
    "ensure_admin_cli",
]

ADMIN_CLI = "admin-cli"

ROLES = {
    REALM_ADMIN: "Everything below",
    VIEW_REALM: "Read the realm's settings and realm roles",
    MANAGE_REALM: "Change the realm's settings and realm roles",
    VIEW_CLIENTS: "Read clients, client roles and client scopes",
    MANAGE_CLIENTS: "Change clients, client roles and client scopes",
    VIEW_USERS: "Read users and groups",
    MANAGE_USERS: "Change users and groups",
}


def ensure(realm: Realm) -> Client:
    """The realm's realm-management client with its roles, made if missing (idempotent).

    Confidential with a random secret nobody is told, no flow enabled: it only holds roles,
    like Keycloak's bearer-only client of the same name.
    """
    client = for_realm(Client, realm).filter(client_id=CLIENT_ID).first()
    if client is None:
        client = Client.objects.create(
            realm=realm,
            client_id=CLIENT_ID,
            name="Realm management",
            client_type=Client.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Client.GRANT_CLIENT_CREDENTIALS,
            standard_flow_enabled=False,
            service_accounts_enabled=False,
            pkce_method="",
        )
    for name, description in ROLES.items():
        Role.objects.get_or_create(
            realm=realm, client=client, name=name, defaults={"description": description}
        )
    return client


def ensure_admin_cli(realm: Realm) -> Client | None:
    """The master realm's ``admin-cli``, made if missing (idempotent): Keycloak's public client
    of command-line tools and admin libraries, with the password grant (grants/password.py) and
    nothing else. Other realms get none: a realm that wants it creates it."""
    if realm.name != MASTER_REALM:
        return None
    client = for_realm(Client, realm).filter(client_id=ADMIN_CLI).first()
    if client is not None:
        return client
    client = Client.objects.create(
        realm=realm,
        client_id=ADMIN_CLI,
        name="Admin CLI",
        client_type=Client.CLIENT_PUBLIC,
        authorization_grant_type=Client.GRANT_CLIENT_CREDENTIALS,
        standard_flow_enabled=False,
        service_accounts_enabled=False,
        redirect_uris="",
        attributes={password.ATTRIBUTE: "true"},
    )
    # The secret field hashes whatever it is given, even nothing; a public client has none.
    Client.objects.filter(pk=client.pk).update(client_secret="")
    client.client_secret = ""
    return client
