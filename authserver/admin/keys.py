"""A realm's key ring: public facts only, never the private half; rotation on request."""

from django.contrib import admin, messages

from accounts.console_audit import record, snapshot
from accounts.models import Realm
from authserver.admin.base import RealmScopedAdmin, RecordOnlyAdmin, confirm_action
from authserver.keys import rotation
from authserver.keys.models import SigningKey


class AlgorithmFilter(admin.SimpleListFilter):
    title = "algorithm"
    parameter_name = "alg"

    def lookups(self, request, model_admin):
        return [(alg, alg) for alg in Realm.SignatureAlgorithm.values]

    def queryset(self, request, queryset):
        return queryset.filter(alg=self.value()) if self.value() else queryset


@admin.register(SigningKey)
class SigningKeyAdmin(RecordOnlyAdmin, RealmScopedAdmin):
    """A realm's key ring: public facts only, never the private half."""

    list_display = ["kid", "realm", "algorithm", "state", "created", "activated", "retire_after"]
    list_filter = ["realm", "state", AlgorithmFilter]
    search_fields = ["kid"]
    fields = ["realm", "kid", "alg", "state", "created", "activated", "retire_after", "public_jwk"]
    readonly_fields = fields
    actions = ["rotate_realms"]

    @admin.display(description="algorithm", ordering="alg")
    def algorithm(self, obj):
        return obj.alg

    def has_rotate_permission(self, request, obj=None):
        return request.user.has_perm("accounts.change_realm") and self._in_scope(request, obj)

    @admin.action(
        description="Rotate now: the realms of the selected keys sign with a new key",
        permissions=["rotate"],
    )
    def rotate_realms(self, request, queryset):
        realms = Realm.objects.filter(pk__in=queryset.values("realm_id"))
        return rotate_keys(self, request, realms)


def rotate_keys(modeladmin, request, realms):
    """The confirmed rotation of ``realms`` (rotation.rotate), one admin event each."""

    def perform(selected):
        for realm in selected:
            key = rotation.rotate(realm)
            record(request, "ACTION", key, after={**snapshot(key), "action": "rotate"})
        modeladmin.message_user(
            request,
            "New signing keys are active; the previous ones stay published until "
            "their tokens expire.",
            messages.SUCCESS,
        )

    return confirm_action(
        modeladmin,
        request,
        realms,
        title="Rotate signing keys?",
        verb="Rotate the signing keys of",
        perform=perform,
    )
