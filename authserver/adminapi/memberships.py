"""Who is in which group: GET groups/{id}/members, GET users/{id}/groups, and PUT / DELETE
users/{id}/groups/{groupId} (Keycloak's paths and shapes).

Joining a group is a change of the user: it needs a caller who may take the user over, and,
as every write, it runs inside accounts.permissions.guarded (http.py), so joining a group that
carries an admin role is refused to a caller who does not hold that role.
"""

from accounts.models import Group
from accounts.realms import for_realm
from authserver.adminapi import groups, users
from authserver.adminapi import representations as rep
from authserver.adminapi.api import NO_CONTENT, Context, Result, ok, page
from authserver.realmfile import exporter

RESOURCE = "GROUP_MEMBERSHIP"


def members(context: Context, group_id: str) -> Result:
    group = groups.find(context, group_id)
    found = page(
        group.members.select_related("service_account_client")
        .prefetch_related("roles__client", "realm_groups")
        .order_by("username"),
        context.query,
    )
    paths = exporter.realm_group_paths(context.realm)
    return ok([rep.user(user, paths) for user in found])


def groups_of(context: Context, user_id: str) -> Result:
    user = users.find(context, user_id)
    joined = user.realm_groups.order_by("name", "pk")
    if context.query.get("search"):
        joined = joined.filter(name__icontains=context.query["search"])
    brief = context.query.get("briefRepresentation", "true") != "false"
    paths = exporter.realm_group_paths(context.realm)
    shown = [
        rep.brief_group(group, paths[group.pk]) if brief else rep.group(group)
        for group in page(joined, context.query)
    ]
    return ok(shown)


def join(context: Context, user_id: str, group_id: str) -> Result:
    user = users.changeable(context, user_id)
    group = groups.find(context, group_id)
    user.realm_groups.add(group)
    context.record("CREATE", RESOURCE, _path(user, group))
    return NO_CONTENT


def leave(context: Context, user_id: str, group_id: str) -> Result:
    user = users.changeable(context, user_id)
    group = groups.find(context, group_id)
    user.realm_groups.remove(group)
    context.record("DELETE", RESOURCE, _path(user, group))
    return NO_CONTENT


def _path(user, group: Group) -> str:
    return f"users/{user.subject}/groups/{group.pk}"


def count_groups(context: Context) -> Result:
    """Keycloak's GET groups/count: ``{"count": n}``, every group, or the top-level ones with
    ``top=true``; ``search`` counts the groups whose name holds it."""
    found = for_realm(Group, context.realm)
    if context.query.get("search"):
        found = found.filter(name__icontains=context.query["search"])
    if context.query.get("top") == "true":
        found = found.filter(parent=None)
    return ok({"count": found.count()})
