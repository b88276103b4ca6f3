"""Callers of the admin API: users of a realm holding realm-management roles, and their tokens
(minted by the provider's own token functions, as the token endpoint would)."""

import json

from accounts.models import MASTER_REALM, Realm, Role
from authserver.adminapi import realm_management
from authserver.models import Client
from tests.factories import make_client, make_realm, make_user
from tests.protocol.issued import issue_grant

JSON = "application/json"


ADMIN_CLIENT = "admin-cli"


def token_for(user, client_id=ADMIN_CLIENT, scopes=("openid",)) -> str:
    """An access token of ``user``, issued to ``client_id`` of the user's realm (by default
    ``admin-cli``, a client every realm lets call the admin API)."""
    client = Client.objects.filter(realm=user.realm, client_id=client_id).first()
    if client is None:
        client = make_client(user.realm, client_id)
    access, _refresh = issue_grant(client, user, scopes=scopes)
    return access


def admin_token(realm, *roles, username=None) -> str:
    """A token of a new user of ``realm`` holding the given realm-management roles."""
    user = make_user(realm, username)
    user.roles.add(*admin_roles(realm, *roles))
    return token_for(user)


def admin_roles(realm, *names) -> list[Role]:
    return list(
        Role.objects.filter(
            realm=realm, client__client_id=realm_management.CLIENT_ID, name__in=names
        )
    )


def superuser_token() -> str:
    master = Realm.objects.filter(name=MASTER_REALM).first() or make_realm(
        MASTER_REALM, default_signature_algorithm="ES256"
    )
    return token_for(make_user(master, is_superuser=True, is_staff=True))


def call(http, method: str, path: str, token: str | None = None, body=None, **headers):
    """A request as an API client sends it: bearer token in the header, JSON body."""
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    send = getattr(http, method.lower())
    if body is None or method == "GET":
        return send(path, **headers)
    return send(path, json.dumps(body), content_type=JSON, **headers)


def url(realm, *parts: str) -> str:
    return "/".join(("/admin/realms", realm.name, *parts))
