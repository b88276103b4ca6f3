"""/admin/realms/{realm}/groups[/{id}[/children]]: a group's ``id`` is its database key.

POST /groups creates a top-level group, with any ``subGroups`` it describes (as in a realm
file); POST /groups/{id}/children creates a subgroup. PUT changes a group's name and role
mappings; its subgroups are managed through their own ids.
"""

from accounts.models import Group
from accounts.realms import for_realm
from authserver.adminapi import mappings
from authserver.adminapi import representations as rep
from authserver.adminapi.api import (
    NO_CONTENT,
    Context,
    Result,
    created,
    location,
    object_body,
    ok,
    page,
)
from authserver.adminapi.errors import Conflict, NotFound
from authserver.realmfile import reader
from authserver.realmfile.errors import item, member, quote
from authserver.realmfile.importer import checked
from authserver.realmfile.schema import GroupSpec

RESOURCE = "GROUP"
_KEY_DIGITS = 18


def find(context: Context, group_id: str) -> Group:
    # Keys are 64-bit: a longer number is no key (and would overflow the database's column).
    is_key = group_id.isascii() and group_id.isdigit() and len(group_id) <= _KEY_DIGITS
    group = for_realm(Group, context.realm).filter(pk=int(group_id)).first() if is_key else None
    if group is None:
        raise NotFound("no such group")
    return group


def _path(group: Group) -> str:
    return f"groups/{group.pk}"


def _siblings(context: Context, parent: Group | None):
    return for_realm(Group, context.realm).filter(parent=parent)


def list_groups(context: Context) -> Result:
    """The top-level groups, paged (``first``, ``max``); with ``search``, those in which a
    group (themselves or one below) has a name holding it."""
    found = rep.top_level_groups(context.realm)
    words = context.query.get("search", "").casefold()
    if words:
        found = [group for group in found if _holds(group, words)]
    return ok(page(found, context.query))


def _holds(group: dict, words: str) -> bool:
    return words in group["name"].casefold() or any(
        _holds(child, words) for child in group["subGroups"]
    )


def get_group(context: Context, group_id: str) -> Result:
    return ok(rep.group(find(context, group_id)))


def create_group(context: Context) -> Result:
    return _create(context, parent=None)


def create_child(context: Context, group_id: str) -> Result:
    return _create(context, parent=find(context, group_id))


def _create(context: Context, *, parent: Group | None) -> Result:
    spec = reader.read_group(object_body(context))
    if _siblings(context, parent).filter(name=spec.name).exists():
        raise Conflict(f"group {quote(spec.name)} already exists here")
    group = _write(context, spec, parent=parent, path="")
    after = rep.group(group)
    context.record("CREATE", RESOURCE, _path(group), after=after)
    return created(after, location(context.realm, _path(group)))


def _write(context: Context, spec: GroupSpec, *, parent: Group | None, path: str) -> Group:
    """The group and its subgroups; role names checked at their place in the body."""
    group = Group(realm=context.realm, parent=parent, name=spec.name)
    checked(group, path).save()
    group.roles.set(mappings.roles(context, spec.realm_roles, spec.client_roles, at=path))
    for index, child in enumerate(spec.sub_groups):
        _write(context, child, parent=group, path=item(member(path, "subGroups"), index))
    return group


def update_group(context: Context, group_id: str) -> Result:
    group = find(context, group_id)
    before = rep.group(group)
    body = object_body(context)
    # Subgroups are changed through their own ids: the body's are not read.
    changes = {key: value for key, value in body.items() if key != "subGroups"}
    spec = reader.read_group(before | changes)
    taken = _siblings(context, group.parent).filter(name=spec.name).exclude(pk=group.pk)
    if taken.exists():
        raise Conflict(f"group {quote(spec.name)} already exists here")
    roles = mappings.roles(context, spec.realm_roles, spec.client_roles)
    group.name = spec.name
    checked(group).save()
    group.roles.set(roles)
    context.record("UPDATE", RESOURCE, _path(group), before=before, after=rep.group(group))
    return NO_CONTENT


def delete_group(context: Context, group_id: str) -> Result:
    group = find(context, group_id)
    before = rep.group(group)
    path = _path(group)
    group.delete()
    context.record("DELETE", RESOURCE, path, before=before)
    return NO_CONTENT
