"""What users have allowed clients; revoking also revokes the client's tokens for the user."""

from django import forms
from django.contrib import admin, messages

from accounts.console_audit import record, snapshot
from authserver.admin.base import AdministeredRealmFilter, RealmScopedAdmin, confirm_action
from authserver.models import Consent
from authserver.protocol import consent as consents


@admin.register(Consent)
class ConsentAdmin(RealmScopedAdmin):
    """What users have allowed clients; revoking also revokes the client's tokens for the user."""

    realm_lookup = "client__realm"
    form = forms.ModelForm
    list_display = ["user", "client", "realm", "scopes", "updated"]
    list_filter = [
        ("client__realm", AdministeredRealmFilter),
        ("client", AdministeredRealmFilter),
    ]
    list_select_related = ["user", "client", "client__realm"]
    search_fields = ["user__username", "client__client_id", "scopes"]
    fields = ["user", "client", "scopes", "created", "updated"]
    readonly_fields = fields
    actions = ["revoke_consents"]

    @admin.display(description="realm")
    def realm(self, obj):
        return obj.client.realm

    def get_list_filter(self, request):
        return self.list_filter

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Revoke selected consents (and the client's tokens for the user)",
        permissions=["delete"],
    )
    def revoke_consents(self, request, queryset):
        def perform(selected):
            for consent in selected.select_related("user__realm", "client__realm"):
                before = snapshot(consent)
                consents.revoke(consent.user, consent.client.client_id)
                record(request, "DELETE", consent, before=before)
            self.message_user(request, "Consents revoked.", messages.SUCCESS)

        return confirm_action(
            self, request, queryset, title="Revoke consents?", verb="Revoke", perform=perform
        )

    def delete_queryset(self, request, queryset):
        # Deleting a consent is revoking it: the tokens go too.
        for consent in queryset.select_related("user__realm", "client"):
            consents.revoke(consent.user, consent.client.client_id)

    def delete_model(self, request, obj):
        consents.revoke(obj.user, obj.client.client_id)
