"""Objects as the admin API shows them: the realm file's representation plus Keycloak's ``id``.

Identifiers: a user's ``id`` is its token subject (UUID); a client's is its ``clientId``; a
role's and a client scope's, its name; a group's, its database key (names repeat across
parents). Secrets and password hashes are never shown.
"""

from accounts.models import ClientScope, Group, Realm, Role, User
from authserver.models import Client
from authserver.realmfile import exporter


def realm(realm: Realm) -> dict:
    return {"id": realm.name, **exporter.export_realm_settings(realm)}


def client(client: Client) -> dict:
    found = {"id": client.client_id, **exporter.export_client(client)}
    found.pop("hashedSecret", None)
    return found


def client_scope(scope: ClientScope) -> dict:
    return {"id": scope.name, **exporter.export_client_scope(scope)}


def role(role: Role) -> dict:
    return {
        "id": role.name,
        "name": role.name,
        "description": role.description,
        "composite": role.composites.exists(),
        "clientRole": role.client_id is not None,
        "containerId": role.client.client_id if role.client_id else role.realm.name,
    }


def group(group: Group) -> dict:
    """The group with its subgroups, each with ``id`` and ``path`` beside the file's fields."""
    groups = exporter.realm_groups(group.realm)
    (entry,) = [
        entry
        for entry in exporter.export_groups(groups, parent_id=group.parent_id)
        if entry["name"] == group.name
    ]
    return _with_ids(entry, group.pk, exporter.group_paths(groups)[group.pk], _ids(groups))


def brief_group(group: Group, path: str) -> dict:
    """Keycloak's brief representation of a group: no role mappings, no subgroups."""
    return {"id": str(group.pk), "name": group.name, "path": path}


def top_level_groups(realm: Realm) -> list[dict]:
    """``group`` of each top-level group of the realm, by name, in a fixed number of queries."""
    groups = exporter.realm_groups(realm)
    ids = _ids(groups)
    return [
        _with_ids(entry, ids[None, entry["name"]], f"/{entry['name']}", ids)
        for entry in exporter.export_groups(groups)
    ]


def _ids(groups: list[Group]) -> dict[tuple[int | None, str], int]:
    return {(each.parent_id, each.name): each.pk for each in groups}


def _with_ids(entry: dict, pk: int, path: str, ids: dict) -> dict:
    return {
        "id": str(pk),
        "name": entry["name"],
        "path": path,
        "realmRoles": entry["realmRoles"],
        "clientRoles": entry["clientRoles"],
        "subGroups": [
            _with_ids(child, ids[pk, child["name"]], f"{path}/{child['name']}", ids)
            for child in entry["subGroups"]
        ],
    }


def user(user: User, paths: dict[int, str] | None = None) -> dict:
    found = exporter.export_user(user, paths, with_credentials=False)
    found["createdTimestamp"] = int(user.date_joined.timestamp() * 1000)
    return found
