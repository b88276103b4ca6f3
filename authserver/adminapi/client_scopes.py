"""/admin/realms/{realm}/client-scopes[/{name}]: a client scope's ``id`` is its name.

The built-in scopes (openid, profile, email, roles, offline_access) can be changed but not
deleted: every realm has them, and realm files rely on it.
"""

from accounts.models import ClientScope
from accounts.realms import for_realm
from authserver.adminapi import representations as rep
from authserver.adminapi.api import NO_CONTENT, Context, Result, created, location, object_body, ok
from authserver.adminapi.errors import BadRequest, Conflict, NotFound, invalid_field
from authserver.realmfile import reader
from authserver.realmfile.errors import quote
from authserver.realmfile.importer import checked
from authserver.realmfile.schema import ClientScopeSpec

RESOURCE = "CLIENT_SCOPE"


def _find(context: Context, name: str) -> ClientScope:
    scope = for_realm(ClientScope, context.realm).filter(name=name).first()
    if scope is None:
        raise NotFound("no such client scope")
    return scope


def _path(scope: ClientScope) -> str:
    return f"client-scopes/{scope.name}"


def list_client_scopes(context: Context) -> Result:
    scopes = for_realm(ClientScope, context.realm).order_by("name")
    return ok([rep.client_scope(scope) for scope in scopes])


def get_client_scope(context: Context, name: str) -> Result:
    return ok(rep.client_scope(_find(context, name)))


def create_client_scope(context: Context) -> Result:
    spec = _read(object_body(context))
    if for_realm(ClientScope, context.realm).filter(name=spec.name).exists():
        raise Conflict(f"client scope {quote(spec.name)} already exists")
    scope = _save(ClientScope(realm=context.realm), spec)
    after = rep.client_scope(scope)
    context.record("CREATE", RESOURCE, _path(scope), after=after)
    return created(after, location(context.realm, _path(scope)))


def update_client_scope(context: Context, name: str) -> Result:
    scope = _find(context, name)
    before = rep.client_scope(scope)
    spec = _read(before | object_body(context))
    if scope.name in ClientScope.BUILT_IN and spec.name != scope.name:
        raise invalid_field("name", "a built-in client scope cannot be renamed")
    taken = for_realm(ClientScope, context.realm).filter(name=spec.name).exclude(pk=scope.pk)
    if taken.exists():
        raise Conflict(f"client scope {quote(spec.name)} already exists")
    path = _path(scope)
    _save(scope, spec)
    context.record("UPDATE", RESOURCE, path, before=before, after=rep.client_scope(scope))
    return NO_CONTENT


def delete_client_scope(context: Context, name: str) -> Result:
    scope = _find(context, name)
    if scope.name in ClientScope.BUILT_IN:
        raise BadRequest(f"{quote(scope.name)} is a built-in client scope and cannot be deleted")
    before = rep.client_scope(scope)
    scope.delete()
    context.record("DELETE", RESOURCE, _path(scope), before=before)
    return NO_CONTENT


def _read(body: dict) -> ClientScopeSpec:
    spec = reader.read_client_scope(body)
    if "/" in spec.name:
        raise invalid_field("name", "cannot contain '/'")
    return spec


def _save(scope: ClientScope, spec: ClientScopeSpec) -> ClientScope:
    scope.name = spec.name
    scope.description = spec.description
    scope.protocol = spec.protocol
    scope.protocol_mappers = list(spec.protocol_mappers)
    checked(scope).save()
    return scope
