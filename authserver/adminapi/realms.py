"""GET /admin/realms (the realms the caller administers), GET/PUT /admin/realms/{realm} (the
realm's settings, with the realm file's top-level field names), and, for a superuser of the
master realm only, as in Keycloak, POST /admin/realms (a realm file: the settings and whatever
clients, roles, groups and users it holds) and DELETE /admin/realms/{realm}.

A realm is not renamed here (its issuer, and every token, would change), and the master realm,
which holds the console accounts, is never disabled.
"""

from accounts import webauthn_policy
from accounts.models import MASTER_REALM, Realm
from authserver.adminapi import representations as rep
from authserver.adminapi.api import NO_CONTENT, Context, Result, created, object_body, ok
from authserver.adminapi.errors import BadRequest, Conflict, invalid_field
from authserver.realmfile import importer, reader
from authserver.realmfile.errors import RealmExistsError, quote
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
    for prefix, policy in (
        (webauthn_policy.SECOND_FACTOR, spec.webauthn_policy),
        (webauthn_policy.PASSWORDLESS, spec.webauthn_policy_passwordless),
    ):
        problem = webauthn_policy.rp_id_problem(policy["rpId"])
        if problem:
            raise invalid_field(webauthn_policy.field_name(prefix, "rpId"), problem)
    for name, value in realm_fields(spec).items():
        setattr(realm, name, value)
    checked(realm).save()
    context.record("UPDATE", RESOURCE, "", before=before, after=rep.realm(realm))
    return NO_CONTENT


def create_realm(context: Context) -> Result:
    reading = reader.read(object_body(context))
    try:
        realm = importer.import_realm(reading.realm)
    except RealmExistsError:
        raise Conflict(f"realm {quote(reading.realm.name)} already exists") from None
    after = rep.realm(realm)
    context.record("CREATE", RESOURCE, f"realms/{realm.name}", after=after)
    return created(after, f"/admin/realms/{realm.name}")


def delete_realm(context: Context) -> Result:
    realm = context.realm
    if realm.name == MASTER_REALM:
        raise BadRequest("the master realm holds the console accounts; it is never deleted")
    before = rep.realm(realm)
    name = realm.name
    realm.delete()
    # The event outlives the realm: it is recorded in the master realm's log.
    audit_context = type(context)(
        caller=context.caller, realm=context.caller.realm, request=context.request
    )
    audit_context.record("DELETE", RESOURCE, f"realms/{name}", before=before)
    return NO_CONTENT
