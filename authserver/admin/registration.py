"""Dynamic client registration (RFC 7591): the realm's registration policy, and Keycloak's
initial access tokens, each shown once when made and kept only as a hash."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from authserver.admin.base import RealmScopedAdmin, RealmScopedForm
from authserver.registration import access_tokens
from authserver.registration.models import InitialAccessToken, RegistrationPolicy

SHOWN_ONCE = "Copy the initial access token now; it will not be shown again: {token}"


@admin.register(RegistrationPolicy)
class RegistrationPolicyAdmin(RealmScopedAdmin):
    list_display = ["realm", "enabled", "max_clients"]
    fields = ["realm", "enabled", "trusted_hosts", "allowed_scopes", "max_clients"]


class InitialAccessTokenForm(RealmScopedForm):
    lifetime = forms.IntegerField(
        label="Expires after (seconds)",
        min_value=0,
        max_value=366 * 24 * 3600,
        initial=24 * 3600,
        help_text="0: never.",
    )

    class Meta:
        model = InitialAccessToken
        fields = ["realm", "count"]


@admin.register(InitialAccessToken)
class InitialAccessTokenAdmin(RealmScopedAdmin):
    form = InitialAccessTokenForm
    list_display = ["pk", "realm", "created", "expires", "count", "remaining"]
    readonly_fields = ["created", "expires", "count", "remaining"]

    def get_fields(self, request, obj=None):
        return ["realm", "count", "lifetime"] if obj is None else ["realm", *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        token = access_tokens.new_token()
        obj.token_hash = access_tokens.digest(token)
        obj.remaining = obj.count
        lifetime = form.cleaned_data["lifetime"]
        obj.expires = timezone.now() + timedelta(seconds=lifetime) if lifetime else None
        super().save_model(request, obj, form, change)
        self.message_user(request, SHOWN_ONCE.format(token=token), messages.WARNING)
