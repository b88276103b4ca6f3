"""Every change made in the console is an admin event (accounts.Event) with the object before
and after, secrets masked by accounts.audit. Hooked into the ModelAdmin's logging methods, which
Django calls once a change is complete (many-to-many relations included) or just before a
deletion, so the event describes what was really stored.
"""

import json

from django.contrib import admin
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from accounts import audit
from accounts.models import Realm

# Never part of a representation, even masked: they are not the operator's to see.
_HIDDEN_FIELDS = {"key_hash", "private_jwk_encrypted", "smtp_password_sealed", "secret_sealed"}


def snapshot(obj: Model) -> dict:
    """The stored fields of ``obj`` as JSON values (relations as primary keys)."""
    fields = serializers.serialize("python", [obj])[0]["fields"]
    fields = {name: value for name, value in fields.items() if name not in _HIDDEN_FIELDS}
    return {"id": obj.pk, **json.loads(json.dumps(fields, cls=DjangoJSONEncoder))}


def realm_of(obj: Model) -> Realm | None:
    if isinstance(obj, Realm):
        return obj
    return getattr(obj, "realm", None)


def resource_type(obj: Model) -> str:
    """Keycloak's resource types: REALM, USER, CLIENT, CLIENT_SCOPE, REALM_ROLE, ..."""
    name = obj._meta.model_name
    if name == "role":
        return "CLIENT_ROLE" if obj.client_id else "REALM_ROLE"
    return {
        "clientscope": "CLIENT_SCOPE",
        "usersession": "USER_SESSION",
        "signingkey": "REALM_KEY",
    }.get(name, name.upper())


def resource_path(obj: Model) -> str:
    return f"{obj._meta.model_name}s/{obj.pk}"


def record(request, operation: str, obj: Model, *, before=None, after=None, details=None):
    """One admin event about ``obj`` by the request's console user."""
    realm = realm_of(obj)
    if operation == "DELETE" and isinstance(obj, Realm):
        realm = None  # The realm's own events go with it; this one must outlive it.
    if details:
        after = {**(after or {}), **details}
    return audit.admin_event(
        operation,
        realm=realm,
        actor=request.user,
        resource_type=resource_type(obj),
        resource_path=resource_path(obj),
        before=before,
        after=after,
        request=request,
    )


class AuditedAdmin(admin.ModelAdmin):
    """Records CREATE, UPDATE and DELETE admin events for what this page changes."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # Before the form touches it: the state the change starts from.
            request._audit_before = snapshot(obj)
        return obj

    def log_addition(self, request, obj, message):
        record(request, "CREATE", obj, after=snapshot(obj))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        obj.refresh_from_db()
        before = getattr(request, "_audit_before", None)
        record(request, "UPDATE", obj, before=before, after=snapshot(obj))
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record(request, "DELETE", obj, before=snapshot(obj))
        return super().log_deletions(request, queryset)
