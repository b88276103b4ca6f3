"""GET /admin/realms (the realms the caller administers) and GET/PUT /admin/realms/{realm}
(the realm's settings, with the realm file's top-level field names).

A realm is not renamed here (its issuer, and every token, would change), and the master realm,
which holds the console accounts, is never disabled.
"""

from accounts.models import MASTER_REALM, Realm
from authserver.adminapi import representations as rep
from authserver.adminapi.api import NO_CONTENT, Context, Result, object_body, ok
from authserver.adminapi.errors import invalid_field
from authserver.realmfile import reader
from authserver.realmfile.importer import checked, realm_fields

RESOURCE = "REALM"
# What a realm owns has its own resources; the realm's PUT takes only its settings.
_OWNED = ("roles", "groups", "clientScopes", "clients", "users")


def list_realms(context: Context) -> Result:
    return ok(
        [
            rep.realm(realm)
            for realm in Realm.objects.order_by("name")
            if context.caller.administers(realm)
        ]
    )


def get_realm(context: Context) -> Result:
    return ok(rep.realm(context.realm))


def update_realm(context: Context) -> Result:
    realm = context.realm
    before = rep.realm(realm)
    body = object_body(context)
    for key in _OWNED:
        if key in body:
            raise invalid_field(key, f"change {key} through /admin/realms/{realm.name}/...")
    spec = reader.read_realm_settings(before | body)
    if spec.name != realm.name:
        raise invalid_field("realm", "a realm cannot be renamed")
    if realm.name == MASTER_REALM and not spec.enabled:
        raise invalid_field("enabled", "the master realm cannot be disabled")
    for name, value in realm_fields(spec).items():
        setattr(realm, name, value)
    checked(realm).save()
    context.record("UPDATE", RESOURCE, "", before=before, after=rep.realm(realm))
    return NO_CONTENT
