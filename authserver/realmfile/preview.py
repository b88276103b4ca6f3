"""What importing a realm file would change, counted before anything is written.

An import replaces the realm as a whole (importer.py), so every object of the file is either
added (new name) or replaced (same name), and every object of the realm that the file lacks is
removed.
"""

from dataclasses import dataclass, replace

from accounts.models import ClientScope, Group, Realm, Role, User
from accounts.permissions import CLIENT_ID as ADMIN_CLIENT_ID
from accounts.permissions import admin_clients
from accounts.realms import for_realm
from authserver.models import Client
from authserver.realmfile import exporter, reader
from authserver.realmfile.schema import ClientSpec, GroupSpec, RealmSpec


@dataclass(frozen=True)
class Change:
    kind: str
    added: int
    replaced: int
    removed: int


@dataclass(frozen=True)
class Preview:
    realm: str
    exists: bool
    changes: tuple[Change, ...]


def _change(kind: str, incoming: set, existing: set) -> Change:
    return Change(
        kind=kind,
        added=len(incoming - existing),
        replaced=len(incoming & existing),
        removed=len(existing - incoming),
    )


def _group_paths(specs: tuple[GroupSpec, ...], prefix: str = "") -> set[str]:
    paths = set()
    for spec in specs:
        path = f"{prefix}/{spec.name}"
        paths |= {path} | _group_paths(spec.sub_groups, path)
    return paths


def preview(spec: RealmSpec) -> Preview:
    """The counts of users, clients, roles, groups and client scopes added, replaced, removed."""
    realm = Realm.objects.filter(name=spec.name).first()
    roles = {(None, role.name) for role in spec.realm_roles} | {
        (client_id, role.name) for client_id, specs in spec.client_roles for role in specs
    }
    incoming = {
        "users": {user.username for user in spec.users},
        "clients": {client.client_id for client in spec.clients},
        "roles": roles,
        "groups": _group_paths(spec.groups),
        "client scopes": {scope.name for scope in spec.client_scopes} | set(ClientScope.BUILT_IN),
    }
    existing: dict[str, set] = {kind: set() for kind in incoming}
    if realm is not None:
        existing = {
            "users": set(for_realm(User, realm).values_list("username", flat=True)),
            "clients": set(for_realm(Client, realm).values_list("client_id", flat=True)),
            "roles": set(for_realm(Role, realm).values_list("client__client_id", "name")),
            "groups": {group.path for group in for_realm(Group, realm).select_related("parent")},
            "client scopes": set(for_realm(ClientScope, realm).values_list("name", flat=True)),
        }
    changes = tuple(_change(kind, incoming[kind], existing[kind]) for kind in incoming)
    return Preview(realm=spec.name, exists=realm is not None, changes=changes)


def admin_roles_mapped(spec: RealmSpec) -> set[str]:
    """The admin roles (the realm-management client's) that the file maps to any user or group,
    directly or inside a composite role it maps: what accounts.permissions.check_replacement
    asks the importing caller to hold."""
    contains = {
        (client_id, role.name): {(None, name) for name in role.composite_realm_roles}
        | {(owner, name) for owner, names in role.composite_client_roles for name in names}
        for client_id, roles in [(None, spec.realm_roles), *spec.client_roles]
        for role in roles
    }
    found: set[tuple[str | None, str]] = set()
    frontier = {
        role
        for holder in [*spec.users, *_all_groups(spec.groups)]
        for role in [(None, name) for name in holder.realm_roles]
        + [(client_id, name) for client_id, names in holder.client_roles for name in names]
    }
    while frontier:
        found |= frontier
        frontier = {inner for role in frontier for inner in contains.get(role, ())} - found
    return {name for client_id, name in found if client_id == ADMIN_CLIENT_ID}


def changes_admin_api_door(spec: RealmSpec) -> bool:
    """Whether importing the file would change the realm's admin API door
    (accounts.permissions.admin_api_door): the realm-management client's attributes, or a
    client they let call the admin API. Compared as the file reads, so a realm's own export
    changes nothing; what check_replacement asks realm-admin for."""
    realm = Realm.objects.filter(name=spec.name).first()
    incoming = {client.client_id: replace(client, path="") for client in spec.clients}
    stored: dict[str, ClientSpec] = {}
    if realm is not None:
        for client in for_realm(Client, realm).prefetch_related(
            "default_client_scopes", "optional_client_scopes"
        ):
            stored[client.client_id] = reader.read_client(exporter.export_client(client))
    # Without a realm-management client in the file, the import makes one with no attributes.
    attributes = getattr(incoming.get(ADMIN_CLIENT_ID), "attributes", {})
    if attributes != getattr(stored.get(ADMIN_CLIENT_ID), "attributes", {}):
        return True
    return any(incoming.get(name) != stored.get(name) for name in admin_clients(attributes))


def _all_groups(specs: tuple[GroupSpec, ...]) -> list[GroupSpec]:
    return [group for spec in specs for group in (spec, *_all_groups(spec.sub_groups))]
