"""Keycloak's composite-role sub-resources of a realm role (``roles/{name}/composites``) and of a
client role (``clients/{clientId}/roles/{name}/composites``):

- ``.../composites``: the roles it contains directly (GET), and a JSON array of roles to add
  (POST) or remove (DELETE);
- ``.../composites/realm`` and ``.../composites/clients/{client}``: the part of them that are
  realm roles, or roles of that client.

A role in a body is named as Keycloak's admin clients send it: its ``name`` (or ``id``, which is
the name here), with ``clientRole`` and ``containerId`` (the client's id) for a client role.
Making a role contain another gives it to everyone who holds the first, so every write runs
inside accounts.permissions.guarded (http.py): adding an admin role the caller does not hold is
refused.
"""

from django.db.models import F

from accounts.models import Role
from accounts.realms import for_realm
from authserver.adminapi import clients, roles
from authserver.adminapi import representations as rep
from authserver.adminapi.api import NO_CONTENT, Context, Result, ok
from authserver.adminapi.errors import BadRequest, NotFound
from authserver.models import Client

RESOURCE = {False: "REALM_ROLE", True: "CLIENT_ROLE"}


def _role(context: Context, name: str, client_id: str | None, *, changing: bool) -> Role:
    owner = roles.owner(context, client_id, changing=changing)
    return roles.find(context, owner, name)


def _contained(role: Role):
    # Realm roles first, on every database (PostgreSQL sorts NULL last, SQLite first).
    realm_first = F("client_id").asc(nulls_first=True)
    return role.composites.select_related("client", "realm").order_by(realm_first, "name")


def listed(context: Context, name: str, client_id: str | None = None) -> Result:
    role = _role(context, name, client_id, changing=False)
    return ok([rep.role(each) for each in _contained(role)])


def realm_part(context: Context, name: str, client_id: str | None = None) -> Result:
    role = _role(context, name, client_id, changing=False)
    return ok([rep.role(each) for each in _contained(role).filter(client=None)])


def client_part(context: Context, name: str, of_client: str, client_id: str | None = None):
    role = _role(context, name, client_id, changing=False)
    client = clients.find(context, of_client)
    return ok([rep.role(each) for each in _contained(role).filter(client=client)])


def add(context: Context, name: str, client_id: str | None = None) -> Result:
    role = _role(context, name, client_id, changing=True)
    found = _named(context)
    if role in found:
        raise BadRequest("a role cannot contain itself", fields={"(body)": "the role itself"})
    role.composites.add(*found)
    _record(context, "CREATE", role, found)
    return NO_CONTENT


def remove(context: Context, name: str, client_id: str | None = None) -> Result:
    role = _role(context, name, client_id, changing=True)
    found = _named(context)
    role.composites.remove(*found)
    _record(context, "DELETE", role, found)
    return NO_CONTENT


def _named(context: Context) -> list[Role]:
    """The roles of the body, each of the realm or of one of its clients; 404 for one that is
    not, as Keycloak answers."""
    body = context.body
    if not isinstance(body, list):
        raise BadRequest("the body must be a JSON array of roles", fields={"(body)": "an array"})
    found = []
    for index, entry in enumerate(body):
        where = f"[{index}]"
        if not isinstance(entry, dict):
            raise BadRequest("each role is a JSON object", fields={where: "not an object"})
        names = [entry.get(key) for key in ("name", "id") if isinstance(entry.get(key), str)]
        if not names:
            raise BadRequest("each role needs its id or name", fields={where: "no role"})
        client = _container(context, entry, where)
        role = for_realm(Role, context.realm).filter(client=client, name__in=names).first()
        if role is None:
            raise NotFound(f"role not found: {names[0][:255]}")
        found.append(role)
    return found


def _container(context: Context, entry: dict, where: str) -> Client | None:
    if entry.get("clientRole") is not True:
        return None
    client_id = entry.get("containerId")
    if not isinstance(client_id, str):
        raise BadRequest(
            "a client role needs its containerId (the client's id)", fields={where: "no client"}
        )
    client = for_realm(Client, context.realm).filter(client_id=client_id).first()
    if client is None:
        raise NotFound(f"client not found: {client_id[:255]}")
    return client


def _record(context: Context, operation: str, role: Role, found: list[Role]) -> None:
    path = roles.path(role.client, role.name) + "/composites"
    names = [f"{each.client.client_id}/{each.name}" if each.client else each.name for each in found]
    key = "after" if operation == "CREATE" else "before"
    context.record(operation, RESOURCE[role.client is not None], path, **{key: {"roles": names}})
