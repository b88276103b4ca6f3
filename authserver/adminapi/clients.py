"""/admin/realms/{realm}/clients[/{clientId}[/client-secret]]: a client's ``id`` is its clientId.

A confidential client created without a secret gets a generated one, returned once in the
creation's response body; POST .../client-secret replaces it and returns the new one once.
Only the hash is stored, so no GET ever returns a secret.
"""

import secrets

from accounts import permissions
from accounts.models import ClientScope, User
from accounts.realms import for_realm
from authserver import client_secrets
from authserver.adminapi import realm_management
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
from authserver.adminapi.errors import BadRequest, Conflict, NotFound, invalid_field
from authserver.models import Client, service_account_username
from authserver.protocol import directory
from authserver.realmfile import credentials, reader
from authserver.realmfile.errors import item, quote
from authserver.realmfile.importer import checked, client_fields
from authserver.realmfile.schema import ClientSpec

RESOURCE = "CLIENT"


def find(context: Context, client_id: str) -> Client:
    client = for_realm(Client, context.realm).filter(client_id=client_id).first()
    if client is None:
        raise NotFound("no such client")
    return client


def _path(client: Client) -> str:
    return f"clients/{client.client_id}"


def list_clients(context: Context) -> Result:
    clients = for_realm(Client, context.realm).prefetch_related(
        "default_client_scopes", "optional_client_scopes"
    )
    if "clientId" in context.query:
        # Keycloak: the exact clientId, or with search=true the clientIds holding it.
        if context.query.get("search") == "true":
            clients = clients.filter(client_id__icontains=context.query["clientId"])
        else:
            clients = clients.filter(client_id=context.query["clientId"])
    return ok([rep.client(client) for client in page(clients.order_by("client_id"), context.query)])


def get_client(context: Context, client_id: str) -> Result:
    return ok(rep.client(find(context, client_id)))


def create_client(context: Context) -> Result:
    body = object_body(context)
    generated = None
    if not body.get("publicClient") and not body.get("secret") and not body.get("hashedSecret"):
        generated = secrets.token_urlsafe(32)
        body = {**body, "secret": generated}
    spec = _checked_spec(context, body)
    if for_realm(Client, context.realm).filter(client_id=spec.client_id).exists():
        raise Conflict(f"client {quote(spec.client_id)} already exists")
    client = _save(context, Client(realm=context.realm), spec)
    after = rep.client(client)
    context.record("CREATE", RESOURCE, _path(client), after=after)
    answer = after | ({"secret": spec.secret} if spec.secret else {})
    return created(answer, location(context.realm, _path(client)))


def update_client(context: Context, client_id: str) -> Result:
    client = _changeable(context, client_id)
    before = rep.client(client)
    body = object_body(context)
    if "secret" in body or "hashedSecret" in body:
        permissions.check_secret_change(context.caller.authority, client)
    merged = before | body
    if isinstance(body.get("attributes"), dict):
        # As in Keycloak, attributes are merged one by one; null removes one.
        attributes = before["attributes"] | body["attributes"]
        merged["attributes"] = {
            key: value for key, value in attributes.items() if value is not None
        }
    if not merged.get("publicClient") and not body.get("secret") and not body.get("hashedSecret"):
        merged["hashedSecret"] = _current_hash(client)
    spec = _checked_spec(context, merged)
    taken = for_realm(Client, context.realm).filter(client_id=spec.client_id)
    if taken.exclude(pk=client.pk).exists():
        raise Conflict(f"client {quote(spec.client_id)} already exists")
    client = _save(context, client, spec)
    context.record("UPDATE", RESOURCE, _path(client), before=before, after=rep.client(client))
    return NO_CONTENT


def delete_client(context: Context, client_id: str) -> Result:
    client = _changeable(context, client_id)
    before = rep.client(client)
    # The service account goes with its client: deleting it is taking it over.
    permissions.check_secret_change(context.caller.authority, client)
    service_account = client.service_account
    client.delete()
    if service_account is not None:
        service_account.delete()
    context.record("DELETE", RESOURCE, _path(client), before=before)
    return NO_CONTENT


def regenerate_secret(context: Context, client_id: str) -> Result:
    client = _changeable(context, client_id)
    if client.is_public:
        raise BadRequest("a public client has no secret")
    permissions.check_secret_change(context.caller.authority, client)
    secret = secrets.token_urlsafe(32)
    Client.objects.filter(pk=client.pk).update(client_secret=credentials.hash_client_secret(secret))
    # update() sends no signal: drop this process's copy of the client (the old secret).
    directory.changed()
    context.record("ACTION", RESOURCE, f"{_path(client)}/client-secret")
    return ok({"type": "secret", "value": secret})


def secret_info(context: Context, client_id: str) -> Result:
    """Keycloak's GET .../client-secret, in its shape, without the value: only the secret's hash
    is stored, so it cannot be read back. POST .../client-secret makes a new one, shown once."""
    client = find(context, client_id)
    return ok(
        {
            "type": "secret",
            "value": None,
            "retrievable": False,
            "description": (
                "client secrets are stored hashed and cannot be read back; "
                "POST to this URL makes a new secret and shows it once"
                if not client.is_public
                else "a public client has no secret"
            ),
        }
    )


def service_account_user(context: Context, client_id: str) -> Result:
    """Keycloak's GET clients/{id}/service-account-user: 400 if the client has none."""
    client = find(context, client_id)
    if client.service_account is None:
        raise BadRequest(f"service accounts are not enabled for client {quote(client.client_id)}")
    return ok(rep.user(client.service_account))


def _changeable(context: Context, client_id: str) -> Client:
    client = find(context, client_id)
    if client.client_id == realm_management.CLIENT_ID:
        raise BadRequest("the realm-management client is built in and cannot be changed")
    return client


def _current_hash(client: Client) -> str:
    """The stored secret hash, or (a public client made confidential) a new unknown secret:
    POST .../client-secret then makes one and tells it."""
    if client.client_secret and not client.is_public:
        return (
            client.client_secret
            if client.hash_client_secret
            else credentials.hash_client_secret(client.client_secret)
        )
    return credentials.hash_client_secret(secrets.token_urlsafe(32))


def _checked_spec(context: Context, body: dict) -> ClientSpec:
    """The body read as a realm file's client, then what the realm-file reader leaves to the
    whole file: scopes that exist, and what the console also refuses."""
    spec = reader.read_client(body)
    weakness = spec.secret is not None and client_secrets.weakness(spec.secret)
    if weakness:
        raise invalid_field("secret", weakness)
    if "/" in spec.client_id:
        raise invalid_field("clientId", "cannot contain '/'")
    if spec.client_id == realm_management.CLIENT_ID:
        raise invalid_field("clientId", "is the built-in realm-management client")
    defined = set(for_realm(ClientScope, context.realm).values_list("name", flat=True))
    for key in ("defaultClientScopes", "optionalClientScopes"):
        for index, name in enumerate(getattr(spec, _SPEC_SCOPES[key])):
            if name not in defined:
                raise invalid_field(item(key, index), f"client scope {quote(name)} is not defined")
    if spec.service_accounts_enabled and spec.public:
        raise invalid_field("serviceAccountsEnabled", "service accounts need a confidential client")
    if spec.standard_flow_enabled and not spec.redirect_uris:
        raise invalid_field("redirectUris", "the standard flow needs at least one redirect URI")
    return spec


_SPEC_SCOPES = {
    "defaultClientScopes": "default_client_scopes",
    "optionalClientScopes": "optional_client_scopes",
}


def _save(context: Context, client: Client, spec: ClientSpec) -> Client:
    for name, value in client_fields(spec).items():
        setattr(client, name, value)
    checked(client).save()
    if spec.public:
        # The secret field hashes whatever it is given, even nothing; a public client has none.
        Client.objects.filter(pk=client.pk).update(client_secret="")
        client.client_secret = ""
    scopes = {scope.name: scope for scope in for_realm(ClientScope, context.realm)}
    client.default_client_scopes.set([scopes[name] for name in spec.default_client_scopes])
    client.optional_client_scopes.set([scopes[name] for name in spec.optional_client_scopes])
    if spec.service_accounts_enabled and client.service_account is None:
        _add_service_account(context, client)
    return client


def _add_service_account(context: Context, client: Client) -> None:
    """Keycloak's service-account user of a client with the client-credentials grant."""
    username = service_account_username(client.client_id)
    if for_realm(User, context.realm).filter(username=username).exists():
        raise Conflict(f"user {quote(username)} exists and is not this client's service account")
    client.create_service_account()
