"""What a Keycloak export holds that this server has its own way of doing, and how it is read.

- Keycloak's built-in clients (the account console, the admin console, ``admin-cli``,
  ``broker``) are this server's own pages and tools: they are skipped, by name, with their roles
  and every mapping to those roles. ``realm-management`` is this server's own client of that
  name (every realm has it, declared in the file or not): its admin roles are kept, the others
  Keycloak has (``query-users``, ``impersonation``, ...) are skipped with the mappings to them.
- SAML clients are not converted into OpenID Connect clients: they are skipped, loudly.
- Relative redirect URIs are resolved against the client's ``rootUrl``, or this server's URL.
"""

from dataclasses import replace
from urllib.parse import urlsplit

from accounts import permissions
from authserver.realmfile.errors import member, quote
from authserver.realmfile.schema import GroupSpec, RealmSpec, UserSpec

REALM_MANAGEMENT = permissions.CLIENT_ID
# Keycloak's own clients whose job this server does with its own pages and endpoints.
BUILT_IN_CLIENTS = frozenset(
    {"account", "account-console", "admin-cli", "broker", "security-admin-console"}
)


def is_built_in_client(client_id: str, name: object) -> bool:
    """Whether a file's client is Keycloak's own: one of its names, with the display name Keycloak
    gives it (``${client_admin-cli}``). A client of that id exported from here (a realm's own
    ``admin-cli``, say) is not, and is imported as it was exported."""
    return client_id in BUILT_IN_CLIENTS and name == "${client_" + client_id + "}"


ADMIN_ROLES = frozenset(
    {
        permissions.REALM_ADMIN,
        permissions.VIEW_REALM,
        permissions.MANAGE_REALM,
        permissions.VIEW_CLIENTS,
        permissions.MANAGE_CLIENTS,
        permissions.VIEW_USERS,
        permissions.MANAGE_USERS,
    }
)
# Keycloak's wildcard: any redirect URI, any web origin.
ANY = "*"
# Keycloak's placeholder for a URL of its own, as its exports write the built-in clients' URLs.
_SERVER_PLACEHOLDERS = ("${authBaseUrl}", "${authAdminUrl}")


def is_origin(value: str) -> bool:
    """Whether ``value`` is an http(s) origin: a scheme and a host, nothing after them."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not (parts.path or parts.query or parts.fragment)
        and "@" not in parts.netloc
    )


def resolve_uri(uri: str, root_url: str, server_url: str) -> str:
    """Keycloak's reading of a relative redirect URI: after ``rootUrl``, else the server's URL."""
    if not uri.startswith("/"):
        return uri
    base = root_url
    if not base or base in _SERVER_PLACEHOLDERS:
        base = server_url
    return base.rstrip("/") + uri


def without_skipped(realm: RealmSpec, skipped: dict[str, str], notes: list[str]) -> RealmSpec:
    """``realm`` without the roles of ``skipped`` clients (client id -> why) nor the mappings to
    them, nor realm-management roles this server does not have; each drop noted once."""

    def kept(client_id: str, name: str) -> bool:
        if client_id in skipped:
            return False
        return client_id != REALM_MANAGEMENT or name in ADMIN_ROLES

    dropped: dict[tuple[str, str], list[str]] = {}

    def mapped(owner_path: str, client_roles) -> tuple:
        found = []
        for client_id, names in client_roles:
            keep = tuple(name for name in names if kept(client_id, name))
            for name in names:
                if name not in keep:
                    dropped.setdefault((client_id, name), []).append(owner_path)
            if keep:
                found.append((client_id, keep))
        return tuple(found)

    def group(spec: GroupSpec) -> GroupSpec:
        return replace(
            spec,
            client_roles=mapped(spec.path, spec.client_roles),
            sub_groups=tuple(group(child) for child in spec.sub_groups),
        )

    def user(spec: UserSpec) -> UserSpec:
        return replace(spec, client_roles=mapped(spec.path, spec.client_roles))

    def role(spec):
        return replace(
            spec,
            composite_client_roles=mapped(
                member(spec.path, "composites"), spec.composite_client_roles
            ),
        )

    client_roles = []
    for client_id, roles in realm.client_roles:
        if client_id in skipped:
            continue
        if client_id == REALM_MANAGEMENT:
            extra = [role.name for role in roles if role.name not in ADMIN_ROLES]
            if extra:
                notes.append(
                    f"roles.client.realm-management: skipped {len(extra)} Keycloak admin role(s) "
                    f"this server does not have: {', '.join(extra)}"
                )
            roles = tuple(role for role in roles if role.name in ADMIN_ROLES)
        client_roles.append((client_id, tuple(map(role, roles))))
    realm = replace(
        realm,
        realm_roles=tuple(map(role, realm.realm_roles)),
        client_roles=tuple(client_roles),
        groups=tuple(group(spec) for spec in realm.groups),
        users=tuple(user(spec) for spec in realm.users),
    )
    for (client_id, name), owners in dropped.items():
        why = skipped.get(client_id, "a Keycloak admin role this server does not have")
        notes.append(
            f"{member('clientRoles', client_id)}: role {quote(name)} not mapped ({why}) "
            f"to {len(owners)} user(s), group(s) or composite role(s): {', '.join(owners)}"
        )
    return realm
