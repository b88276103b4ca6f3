"""Keycloak's composite roles: holding a composite role is holding each role it contains, and
theirs in turn. Every reader of effective roles (token claims, the permission rule, the admin
API's caller) expands them here, so that no path counts fewer roles than another."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from accounts.models import Role

# Annotates a role query with whether each role contains others, so that expanding costs no
# query for the many users who hold no composite role.
IS_COMPOSITE = Exists(Role.composites.through.objects.filter(from_role_id=OuterRef("pk")))


def expand(role_ids: Iterable[int]) -> set[int]:
    """``role_ids`` and every role they contain, transitively (cycles allowed, as in Keycloak).
    One query per level of nesting."""
    found = set(role_ids)
    frontier = set(found)
    while frontier:
        contained = Role.composites.through.objects.filter(from_role_id__in=frontier)
        frontier = set(contained.values_list("to_role_id", flat=True)) - found
        found |= frontier
    return found


def contained_by(realm_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each composite role of these realms, every role it contains, transitively."""
    edges: dict[int, set[int]] = {}
    pairs = Role.composites.through.objects.filter(from_role__realm_id__in=list(realm_ids))
    for parent, child in pairs.values_list("from_role_id", "to_role_id"):
        edges.setdefault(parent, set()).add(child)
    closure = {}
    for start in edges:
        seen, frontier = set(), {start}
        while frontier:
            frontier = {child for role in frontier for child in edges.get(role, ())} - seen
            seen |= frontier
        closure[start] = seen
    return closure
