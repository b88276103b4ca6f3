"""Role mappings and group memberships named in a body (``realmRoles``, ``clientRoles``,
``groups``), checked against what the realm holds. Who may hand out which of them is checked on
every change by http.py (accounts.permissions.guarded)."""

from accounts.models import Group, Role
from accounts.realms import for_realm
from authserver.adminapi.api import Context
from authserver.adminapi.errors import invalid_field
from authserver.models import Client
from authserver.realmfile import exporter
from authserver.realmfile.errors import item, member, quote


def roles(context: Context, realm_roles, client_roles, *, at: str = "") -> list[Role]:
    """The roles named by ``realmRoles`` and ``clientRoles`` (reader values), each existing;
    ``at`` is the path in the body of the object naming them."""
    found = []
    defined = {role.name: role for role in for_realm(Role, context.realm).filter(client=None)}
    for index, name in enumerate(realm_roles):
        if name not in defined:
            raise invalid_field(
                item(member(at, "realmRoles"), index), f"role {quote(name)} is not defined"
            )
        found.append(defined[name])
    for client_id, names in client_roles:
        path = member(member(at, "clientRoles"), client_id)
        client = for_realm(Client, context.realm).filter(client_id=client_id).first()
        if client is None:
            raise invalid_field(path, f"client {quote(client_id)} is not defined")
        of_client = {role.name: role for role in Role.objects.filter(client=client)}
        for index, name in enumerate(names):
            if name not in of_client:
                raise invalid_field(
                    item(path, index),
                    f"role {quote(name)} of client {quote(client_id)} is not defined",
                )
            found.append(of_client[name])
    return found


def groups(context: Context, paths) -> list[Group]:
    """The groups named by their Keycloak paths ("/parent/child"), each existing."""
    if not paths:
        return []
    realm_groups = list(for_realm(Group, context.realm))
    paths_by_id = exporter.group_paths(realm_groups)
    by_path = {paths_by_id[group.pk]: group for group in realm_groups}
    found = []
    for index, path in enumerate(paths):
        if path not in by_path:
            raise invalid_field(item("groups", index), f"group {quote(path)} is not defined")
        found.append(by_path[path])
    return found
