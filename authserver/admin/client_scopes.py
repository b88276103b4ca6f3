"""Client scopes, with the claims they release and their audience."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.models import ClientScope
from authserver.admin.base import RealmScopedAdmin, RealmScopedForm

# What each built-in scope puts in tokens (authserver.protocol.claims); a custom scope releases
# the audiences its mappers name.
_RELEASED_CLAIMS = {
    "openid": "sub, and an ID token",
    "profile": "preferred_username, name, given_name, family_name",
    "email": "email, email_verified",
    "roles": "realm_access.roles, resource_access.{client}.roles",
    "offline_access": "an offline refresh token, which outlives the SSO session",
}


def _audience_mapper(audience: str) -> dict:
    return {
        "name": f"{audience} audience",
        "protocol": "openid-connect",
        "protocolMapper": ClientScope.AUDIENCE_MAPPER,
        "consentRequired": False,
        "config": {
            "included.custom.audience": audience,
            "access.token.claim": "true",
            "id.token.claim": "false",
        },
    }


class ClientScopeForm(RealmScopedForm):
    audience = forms.CharField(
        label="Audience",
        required=False,
        max_length=255,
        help_text="Added to the access token's aud claim when this scope is granted (the "
        "scope's oidc-audience-mapper). Empty for none.",
    )

    class Meta:
        model = ClientScope
        fields = ["realm", "name", "description", "protocol", "audience", "protocol_mappers"]
        help_texts = {
            "protocol_mappers": "Other protocol mappers, as a JSON list in a realm file. The "
            "audience mapper is edited in the field above.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mappers = self.instance.protocol_mappers or []
        self.initial.setdefault("audience", ", ".join(self.instance.audiences))
        self.initial["protocol_mappers"] = [
            m for m in mappers if m.get("protocolMapper") != ClientScope.AUDIENCE_MAPPER
        ]

    def clean_audience(self):
        value = self.cleaned_data.get("audience", "").strip()
        if "," in value or " " in value:
            raise ValidationError("One audience: a client ID or a resource server's name.")
        return value

    def clean_protocol_mappers(self):
        mappers = self.cleaned_data.get("protocol_mappers")
        if mappers is None:
            return []
        if not isinstance(mappers, list) or not all(isinstance(m, dict) for m in mappers):
            raise ValidationError(
                "Protocol mappers are a JSON list of objects, as in a realm file."
            )
        return [m for m in mappers if m.get("protocolMapper") != ClientScope.AUDIENCE_MAPPER]

    def save(self, commit=True):
        scope = super().save(commit=False)
        audience = self.cleaned_data.get("audience")
        scope.protocol_mappers = [*scope.protocol_mappers]
        if audience:
            scope.protocol_mappers.append(_audience_mapper(audience))
        if commit:
            scope.save()
            self.save_m2m()
        return scope


@admin.register(ClientScope)
class ClientScopeAdmin(RealmScopedAdmin):
    form = ClientScopeForm
    list_display = ["name", "realm", "audience", "released_claims", "description"]
    list_filter = ["realm", "protocol"]
    search_fields = ["name", "description"]
    fields = [
        "realm",
        "name",
        "description",
        "protocol",
        "audience",
        "released_claims",
        "protocol_mappers",
    ]
    readonly_fields = ["released_claims"]

    @admin.display(description="audience")
    def audience(self, obj):
        return ", ".join(obj.audiences) or "—"

    @admin.display(description="claims released")
    def released_claims(self, obj):
        if obj is None or not obj.pk:
            return "—"
        if obj.name in _RELEASED_CLAIMS:
            return _RELEASED_CLAIMS[obj.name]
        return f"aud: {', '.join(obj.audiences)}" if obj.audiences else "the scope name only"
