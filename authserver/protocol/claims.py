"""Keycloak-shaped identity claims: roles (direct and through groups) and profile claims."""

from collections import defaultdict

from accounts import composites
from accounts.models import Group, Role, User


def _groups_with_ancestors(user: User) -> set[int]:
    """The ids of the user's groups and of every parent above them (members inherit roles)."""
    seen: set[int] = set()
    frontier = set(user.realm_groups.values_list("id", flat=True))
    while frontier:
        seen |= frontier
        parents = Group.objects.filter(id__in=frontier, parent__isnull=False).values_list(
            "parent_id", flat=True
        )
        frontier = set(parents) - seen
    return seen


def effective_roles(user: User) -> list[Role]:
    """Roles mapped to the user directly or through any of their groups (and group parents),
    with every role a composite among them contains."""
    group_ids = _groups_with_ancestors(user)
    direct = Role.objects.filter(users=user)
    inherited = Role.objects.filter(groups__id__in=group_ids)
    mapped = list(
        (direct | inherited)
        .distinct()
        .select_related("client")
        .annotate(composite=composites.IS_COMPOSITE)
    )
    if not any(role.composite for role in mapped):
        return mapped
    ids = composites.expand(role.pk for role in mapped)
    # A composite contains only roles of its own realm (as a realm file can express it).
    return list(Role.objects.filter(id__in=ids, realm_id=user.realm_id).select_related("client"))


def role_claims(roles: list[Role]) -> dict:
    """``realm_access`` and ``resource_access`` as Keycloak puts them in a token."""
    realm_roles = sorted(role.name for role in roles if role.client_id is None)
    by_client: dict[str, list[str]] = defaultdict(list)
    for role in roles:
        if role.client_id is not None:
            by_client[role.client.client_id].append(role.name)
    claims = {}
    if realm_roles:
        claims["realm_access"] = {"roles": realm_roles}
    if by_client:
        claims["resource_access"] = {
            client: {"roles": sorted(names)} for client, names in sorted(by_client.items())
        }
    return claims


def profile_claims(user: User, scopes: set[str]) -> dict:
    """OIDC standard claims released by the ``profile`` and ``email`` scopes (OIDC Core §5.4)."""
    claims = {}
    if "profile" in scopes:
        claims["preferred_username"] = user.username
        if user.get_full_name():
            claims["name"] = user.get_full_name()
        if user.first_name:
            claims["given_name"] = user.first_name
        if user.last_name:
            claims["family_name"] = user.last_name
    if "email" in scopes and user.email:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    return claims
