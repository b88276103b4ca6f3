"""Keycloak's role-mapping sub-resources of a user or a group:

- ``.../role-mappings``: every direct mapping, ``{"realmMappings": [...], "clientMappings":
  {clientId: {"id", "client", "mappings": [...]}}}``;
- ``.../role-mappings/realm`` and ``.../role-mappings/clients/{client}``: the direct mappings
  (GET), and a JSON array of roles to add (POST) or remove (DELETE), each named by ``id`` (a
  role's id is its name here) or ``name``;
- ``.../available``: the roles of the realm (or client) not yet held, directly or otherwise;
- ``.../composite``: the roles held effectively (through groups and their parents too, and
  every role a composite among them contains).

A user's mappings are changed only by a caller who may take the user over (as a PUT of the
user); every write runs inside accounts.permissions.guarded (http.py), so mapping or removing an
admin role is refused to a caller who does not hold it.
"""

from accounts import composites
from accounts.models import Group, Role, User
from accounts.realms import for_realm
from authserver.adminapi import clients, groups, users
from authserver.adminapi import representations as rep
from authserver.adminapi.api import NO_CONTENT, Context, Result, ok, page
from authserver.adminapi.errors import BadRequest, NotFound
from authserver.models import Client
from authserver.protocol.claims import effective_roles

RESOURCE = "REALM_ROLE_MAPPING", "CLIENT_ROLE_MAPPING"


# --- whose mappings ---------------------------------------------------------------------------


def _holder(context: Context, kind: str, key: str, *, changing: bool) -> User | Group:
    if kind == "users":
        return users.changeable(context, key) if changing else users.find(context, key)
    return groups.find(context, key)


def _direct(holder: User | Group):
    return holder.roles.select_related("client", "realm")


def _effective(holder: User | Group) -> list[Role]:
    if isinstance(holder, User):
        return effective_roles(holder)
    ancestors, current, seen = [], holder, set()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        ancestors.append(current.pk)
        current = current.parent
    mapped = Role.objects.filter(groups__id__in=ancestors).values_list("pk", flat=True)
    # As for a user (protocol.claims.effective_roles): composites hold what they contain.
    found = composites.expand(mapped)
    return list(
        Role.objects.filter(id__in=found, realm_id=holder.realm_id).select_related(
            "client", "realm"
        )
    )


def _client(context: Context, client_id: str | None) -> Client | None:
    return None if client_id is None else clients.find(context, client_id)


def _of(roles, client: Client | None) -> list[Role]:
    wanted = client.pk if client is not None else None
    return sorted((role for role in roles if role.client_id == wanted), key=lambda r: r.name)


def _path(kind: str, key: str, client: Client | None) -> str:
    where = f"clients/{client.client_id}" if client else "realm"
    return f"{kind}/{key}/role-mappings/{where}"


# --- handlers ---------------------------------------------------------------------------------


def all_mappings(context: Context, kind: str, key: str) -> Result:
    roles = list(_direct(_holder(context, kind, key, changing=False)))
    body = {}
    realm_roles = _of(roles, None)
    if realm_roles:
        body["realmMappings"] = [rep.role(role) for role in realm_roles]
    by_client: dict[str, dict] = {}
    for role in sorted(roles, key=lambda r: r.name):
        if role.client_id is not None:
            entry = by_client.setdefault(
                role.client.client_id,
                {"id": role.client.client_id, "client": role.client.client_id, "mappings": []},
            )
            entry["mappings"].append(rep.role(role))
    if by_client:
        body["clientMappings"] = dict(sorted(by_client.items()))
    return ok(body)


def listed(context: Context, kind: str, key: str, client_id: str | None = None) -> Result:
    client = _client(context, client_id)
    holder = _holder(context, kind, key, changing=False)
    return ok([rep.role(role) for role in _of(_direct(holder), client)])


def composite(context: Context, kind: str, key: str, client_id: str | None = None) -> Result:
    client = _client(context, client_id)
    holder = _holder(context, kind, key, changing=False)
    return ok(
        [
            rep.role(role)
            for role in page(_of(_effective(holder), client), context.query, everything=True)
        ]
    )


def available(context: Context, kind: str, key: str, client_id: str | None = None) -> Result:
    client = _client(context, client_id)
    holder = _holder(context, kind, key, changing=False)
    held = {role.pk for role in _effective(holder)}
    roles = for_realm(Role, context.realm).filter(client=client).select_related("client", "realm")
    found = [role for role in roles.order_by("name") if role.pk not in held]
    return ok([rep.role(role) for role in page(found, context.query, everything=True)])


def add(context: Context, kind: str, key: str, client_id: str | None = None) -> Result:
    client = _client(context, client_id)
    holder = _holder(context, kind, key, changing=True)
    roles = _named(context, client)
    holder.roles.add(*roles)
    _record(context, "CREATE", kind, key, client, roles)
    return NO_CONTENT


def remove(context: Context, kind: str, key: str, client_id: str | None = None) -> Result:
    client = _client(context, client_id)
    holder = _holder(context, kind, key, changing=True)
    roles = _named(context, client)
    holder.roles.remove(*roles)
    _record(context, "DELETE", kind, key, client, roles)
    return NO_CONTENT


def _named(context: Context, client: Client | None) -> list[Role]:
    """The roles of the body (a JSON array of role representations), each of the realm (or of
    ``client``); 404 for one that is not, as Keycloak answers."""
    body = context.body
    if not isinstance(body, list):
        raise BadRequest("the body must be a JSON array of roles", fields={"(body)": "an array"})
    defined = {
        role.name: role
        for role in for_realm(Role, context.realm).filter(client=client).select_related("client")
    }
    found = []
    for index, entry in enumerate(body):
        given = [entry.get(key) for key in ("id", "name")] if isinstance(entry, dict) else []
        names = [name for name in given if isinstance(name, str)]
        if not names:
            raise BadRequest("each role needs its id or name", fields={f"[{index}]": "no role"})
        # A role's id is its name here; a Keycloak id (a UUID) is not, so the name decides.
        role = next((defined[name] for name in names if name in defined), None)
        if role is None:
            raise NotFound(f"role not found: {names[-1][:255]}")
        found.append(role)
    return found


def _record(context, operation, kind, key, client, roles) -> None:
    context.record(
        operation,
        RESOURCE[client is not None],
        _path(kind, key, client),
        **{"after" if operation == "CREATE" else "before": {"roles": [r.name for r in roles]}},
    )
