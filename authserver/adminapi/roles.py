"""Realm roles (/roles[/{name}]) and client roles (/clients/{clientId}/roles[/{name}]).

A role's ``id`` is its name, unique among the realm's roles or among its client's. The
realm-management client's roles are built in and cannot be changed.
"""

from accounts.models import Role
from accounts.realms import for_realm
from authserver.adminapi import clients, realm_management, validation
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
from authserver.adminapi.errors import BadRequest, Conflict, NotFound
from authserver.models import Client
from authserver.realmfile import reader
from authserver.realmfile.errors import quote
from authserver.realmfile.importer import checked

REALM_ROLE, CLIENT_ROLE = "REALM_ROLE", "CLIENT_ROLE"


def _roles(context: Context, client: Client | None):
    return for_realm(Role, context.realm).filter(client=client).select_related("client", "realm")


def find(context: Context, client: Client | None, name: str) -> Role:
    role = _roles(context, client).filter(name=name).first()
    if role is None:
        raise NotFound("no such role")
    return role


def path(client: Client | None, name: str) -> str:
    return f"clients/{client.client_id}/roles/{name}" if client else f"roles/{name}"


def _kind(client: Client | None) -> str:
    return CLIENT_ROLE if client else REALM_ROLE


def owner(context: Context, client_id: str | None, *, changing: bool) -> Client | None:
    if client_id is None:
        return None
    client = clients.find(context, client_id)
    if changing and client.client_id == realm_management.CLIENT_ID:
        raise BadRequest("the realm-management roles are built in and cannot be changed")
    return client


def list_roles(context: Context, client_id: str | None = None) -> Result:
    """The roles, paged (``first``, ``max``), those whose name holds ``search`` if given."""
    client = owner(context, client_id, changing=False)
    roles = _roles(context, client).order_by("name")
    if context.query.get("search"):
        roles = roles.filter(name__icontains=context.query["search"])
    return ok([rep.role(role) for role in page(roles, context.query, everything=True)])


def get_role(context: Context, name: str, client_id: str | None = None) -> Result:
    client = owner(context, client_id, changing=False)
    return ok(rep.role(find(context, client, name)))


def create_role(context: Context, client_id: str | None = None) -> Result:
    client = owner(context, client_id, changing=True)
    spec = _read(object_body(context))
    if _roles(context, client).filter(name=spec.name).exists():
        raise Conflict(f"role {quote(spec.name)} already exists")
    role = Role(realm=context.realm, client=client, name=spec.name, description=spec.description)
    checked(role).save()
    after = rep.role(role)
    context.record("CREATE", _kind(client), path(client, role.name), after=after)
    return created(after, location(context.realm, path(client, role.name)))


def update_role(context: Context, name: str, client_id: str | None = None) -> Result:
    client = owner(context, client_id, changing=True)
    role = find(context, client, name)
    before = rep.role(role)
    spec = _read(before | object_body(context))
    if _roles(context, client).filter(name=spec.name).exclude(pk=role.pk).exists():
        raise Conflict(f"role {quote(spec.name)} already exists")
    role.name, role.description = spec.name, spec.description
    checked(role).save()
    context.record("UPDATE", _kind(client), path(client, name), before=before, after=rep.role(role))
    return NO_CONTENT


def delete_role(context: Context, name: str, client_id: str | None = None) -> Result:
    client = owner(context, client_id, changing=True)
    role = find(context, client, name)
    before = rep.role(role)
    role.delete()
    context.record("DELETE", _kind(client), path(client, name), before=before)
    return NO_CONTENT


def _read(body: dict):
    spec = reader.read_role(body)
    validation.check_name(spec.name)
    return spec
