"""Plain functions returning saved objects."""

from itertools import count

from accounts.models import ClientScope, Group, Realm, Role, User
from authserver.models import Client

_sequence = count(1)

PASSWORD = "Correct-Horse-9"


def make_realm(name=None, **fields) -> Realm:
    return Realm.objects.create(name=name or f"realm{next(_sequence)}", **fields)


def make_user(realm: Realm, username=None, password=PASSWORD, **fields) -> User:
    return User.objects.create_user(
        username or f"user{next(_sequence)}", password, realm=realm, **fields
    )


def make_role(realm: Realm, name=None, client=None, **fields) -> Role:
    return Role.objects.create(
        realm=realm, client=client, name=name or f"role{next(_sequence)}", **fields
    )


def make_group(realm: Realm, name=None, parent=None) -> Group:
    return Group.objects.create(realm=realm, name=name or f"group{next(_sequence)}", parent=parent)


def make_scope(realm: Realm, name=None, audience=None, **fields) -> ClientScope:
    mappers = []
    if audience:
        mappers.append(
            {
                "name": f"{audience}-audience",
                "protocol": "openid-connect",
                "protocolMapper": ClientScope.AUDIENCE_MAPPER,
                "config": {"included.custom.audience": audience, "access.token.claim": "true"},
            }
        )
    return ClientScope.objects.create(
        realm=realm, name=name or f"scope{next(_sequence)}", protocol_mappers=mappers, **fields
    )


def make_client(realm: Realm, client_id=None, secret="s3cret-" + "x" * 40, **fields) -> Client:
    fields.setdefault("client_type", Client.CLIENT_CONFIDENTIAL)
    fields.setdefault("authorization_grant_type", Client.GRANT_AUTHORIZATION_CODE)
    fields.setdefault("redirect_uris", "https://app.example/callback")
    return Client.objects.create(
        realm=realm,
        client_id=client_id or f"client{next(_sequence)}",
        client_secret=secret,
        **fields,
    )
