"""The console's client pages, in Keycloak's vocabulary; tokens and codes are not shown at all.

django-oauth-toolkit registers its own admin for the swapped models: it is replaced here, so no
page lists a token or shows a client secret (stored hashed; shown once, when it is generated).
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from oauth2_provider.generators import generate_client_secret

from accounts.admin import RealmScopedAdmin, RealmScopedForm
from authserver.models import AccessToken, Client, Grant, IDToken, RefreshToken

for _model in (Client, AccessToken, RefreshToken, IDToken, Grant):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

SHOWN_ONCE = "Copy the client secret now; it will not be shown again: {secret}"


def _redirect_uri_problem(uri: str) -> str | None:
    """RFC 6749 §3.1.2: an absolute URI without a fragment; here, http(s) only."""
    try:
        parts = urlsplit(uri)
        hostname = parts.hostname
    except ValueError:
        return f"{uri} is not a valid URI."
    if parts.scheme not in {"http", "https"} or not hostname:
        return f"{uri} is not an absolute http(s) URI."
    if "#" in uri:
        return f"{uri} has a fragment; redirect URIs must not."
    return None


def _web_origin_problem(origin: str) -> str | None:
    """An origin is scheme://host[:port], nothing more (RFC 6454)."""
    try:
        parts = urlsplit(origin)
        hostname, _ = parts.hostname, parts.port
    except ValueError:
        return f"{origin} is not a valid origin."
    if parts.scheme not in {"http", "https"} or not hostname:
        return f"{origin} is not an http(s) origin."
    if parts.path or parts.query or parts.fragment or "#" in origin:
        return f"{origin} is not an origin: use scheme://host[:port] without a path."
    return None


class URIListField(forms.CharField):
    """One URI per line in the form; space-separated in the model, as the toolkit reads it."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 80})

    def __init__(self, *, check, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.check = check

    def prepare_value(self, value):
        return "\n".join((value or "").split())

    def to_python(self, value):
        return " ".join((value or "").split())

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)

    def validate(self, value):
        super().validate(value)
        problems = [p for p in map(self.check, value.split()) if p]
        if problems:
            raise ValidationError(problems)


def _dot_grant_type(*, standard_flow: bool) -> str:
    """django-oauth-toolkit keeps one grant type per client where Keycloak keeps flags. The
    validator decides by the flags; this only keeps the toolkit's field consistent with them
    (as the realm import does), and lets a client with no flow at all have no redirect URI."""
    return Client.GRANT_AUTHORIZATION_CODE if standard_flow else Client.GRANT_CLIENT_CREDENTIALS


class ClientForm(RealmScopedForm):
    redirect_uris = URIListField(
        label="Valid redirect URIs",
        check=_redirect_uri_problem,
        help_text="One per line: absolute http(s) URIs without a fragment.",
    )
    post_logout_redirect_uris = URIListField(
        label="Valid post logout redirect URIs",
        check=_redirect_uri_problem,
        help_text="One per line: absolute http(s) URIs without a fragment.",
    )
    allowed_origins = URIListField(
        label="Web origins",
        check=_web_origin_problem,
        help_text="One per line, for CORS: scheme://host[:port].",
    )
    pkce_method = forms.ChoiceField(
        label="PKCE method",
        choices=[("S256", "S256"), ("", "Not required (confidential clients only)")],
        required=False,
        initial="S256",
    )
    regenerate_secret = forms.BooleanField(
        label="Regenerate secret",
        required=False,
        help_text="Issue a new client secret, shown once after saving; the old one stops working.",
    )

    class Meta:
        model = Client
        fields = [
            "realm",
            "client_id",
            "name",
            "enabled",
            "client_type",
            "standard_flow_enabled",
            "service_accounts_enabled",
            "service_account",
            "pkce_method",
            "consent_required",
            "redirect_uris",
            "post_logout_redirect_uris",
            "allowed_origins",
            "default_client_scopes",
            "optional_client_scopes",
            "attributes",
        ]
        labels = {
            "client_type": "Client type",
            "standard_flow_enabled": "Standard flow",
            "service_accounts_enabled": "Service accounts",
            "service_account": "Service account user",
        }
        help_texts = {
            "client_type": "Confidential clients authenticate with a client secret; public "
            "clients (browser and mobile apps) have none.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("pkce_method")
        current = self.instance.pkce_method
        if field is not None and current not in dict(field.choices):
            # Keep a value set elsewhere (a realm import) rather than silently replace it.
            field.choices = [*field.choices, (current, current)]

    def clean_attributes(self):
        attributes = self.cleaned_data.get("attributes")
        if attributes is None:
            return {}
        if not isinstance(attributes, dict):
            raise ValidationError('Attributes are a JSON object: {"name": "value", ...}.')
        return attributes

    def clean(self):
        data = super().clean()
        standard_flow = data.get("standard_flow_enabled", False)
        service_accounts = data.get("service_accounts_enabled", False)
        if service_accounts and data.get("client_type") == Client.CLIENT_PUBLIC:
            self.add_error(
                "service_accounts_enabled", "Service accounts need a confidential client."
            )
        if standard_flow and not data.get("redirect_uris") and "redirect_uris" not in self.errors:
            self.add_error("redirect_uris", "The standard flow needs at least one redirect URI.")
        both = set(data.get("default_client_scopes") or ()) & set(
            data.get("optional_client_scopes") or ()
        )
        if both:
            names = ", ".join(sorted(scope.name for scope in both))
            self.add_error("optional_client_scopes", f"Already a default client scope: {names}.")
        self.instance.authorization_grant_type = _dot_grant_type(standard_flow=standard_flow)
        return data


@admin.register(Client)
class ClientAdmin(RealmScopedAdmin):
    form = ClientForm
    list_display = [
        "client_id",
        "name",
        "realm",
        "client_type",
        "enabled",
        "standard_flow_enabled",
        "service_accounts_enabled",
    ]
    list_filter = [
        "realm",
        "client_type",
        "enabled",
        "standard_flow_enabled",
        "service_accounts_enabled",
    ]
    search_fields = ["client_id", "name"]
    radio_fields = {"client_type": admin.HORIZONTAL}
    filter_horizontal = ["default_client_scopes", "optional_client_scopes"]
    readonly_fields = ["client_secret_status"]
    fieldsets = [
        ("General settings", {"fields": ["realm", "client_id", "name", "enabled"]}),
        (
            "Capability config",
            {
                "fields": [
                    "client_type",
                    "standard_flow_enabled",
                    "service_accounts_enabled",
                    "service_account",
                    "pkce_method",
                ]
            },
        ),
        ("Login settings", {"fields": ["consent_required"]}),
        (
            "Access settings",
            {"fields": ["redirect_uris", "post_logout_redirect_uris", "allowed_origins"]},
        ),
        ("Client scopes", {"fields": ["default_client_scopes", "optional_client_scopes"]}),
        ("Advanced", {"fields": ["attributes"]}),
    ]
    credentials_fieldset = (
        "Credentials",
        {"fields": ["client_secret_status", "regenerate_secret"]},
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        return [*self.fieldsets[:2], self.credentials_fieldset, *self.fieldsets[2:]]

    @admin.display(description="client secret")
    def client_secret_status(self, obj):
        if obj is None or obj.is_public:
            return "none (public client)"
        return "set (stored hashed; regenerate to get a new one)" if obj.client_secret else "none"

    def save_model(self, request, obj, form, change):
        secret = None
        # The toolkit would hash even an empty secret: a public client stores none, unhashed.
        obj.hash_client_secret = not obj.is_public
        if obj.is_public:
            obj.client_secret = ""
        elif not change or not obj.client_secret or form.cleaned_data.get("regenerate_secret"):
            # The model's default secret is never shown: issue our own, hashed on save.
            secret = generate_client_secret()
            obj.client_secret = secret
        super().save_model(request, obj, form, change)
        if secret is not None:
            self.message_user(request, SHOWN_ONCE.format(secret=secret), messages.WARNING)
