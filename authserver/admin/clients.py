"""The console's client pages, in Keycloak's vocabulary; tokens and codes are not shown at all.

django-oauth-toolkit registers its own admin for the swapped models: it is replaced here, so no
page lists a token or shows a client secret (stored hashed; shown once, when it is generated).
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from oauth2_provider.generators import generate_client_secret

from accounts import permissions
from accounts.models import Role, User
from accounts.realms import for_realm
from authserver import redirect_uris
from authserver.admin import client_authentication
from authserver.admin.base import RealmScopedAdmin, RealmScopedForm
from authserver.models import (
    BACKCHANNEL_SESSION_ATTRIBUTE,
    BACKCHANNEL_URL_ATTRIBUTE,
    FRONTCHANNEL_LOGOUT_ATTRIBUTE,
    FRONTCHANNEL_SESSION_ATTRIBUTE,
    FRONTCHANNEL_URL_ATTRIBUTE,
    KEYCLOAK_ORIGINS,
    WILDCARD,
    AccessToken,
    Client,
    Grant,
    IDToken,
    RefreshToken,
    service_account_username,
)
from authserver.protocol import dpop

for _model in (Client, AccessToken, RefreshToken, IDToken, Grant):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

SHOWN_ONCE = "Copy the client secret now; it will not be shown again: {secret}"
# Keycloak's defaults for a new client when none are chosen.
DEFAULT_SCOPES = ["profile", "email", "roles"]
OPTIONAL_SCOPES = ["offline_access"]


class ClientKind:
    """What the add page asks first; each kind sets the capability fields it implies."""

    CONFIDENTIAL = "confidential"
    PUBLIC = "public"
    SERVICE = "service"
    CHOICES = [
        (CONFIDENTIAL, "Confidential: a server-side web app that keeps a client secret"),
        (PUBLIC, "Public: a browser or mobile app, no secret, PKCE required"),
        (SERVICE, "Service: machine to machine (client credentials), no browser login"),
    ]


def _redirect_uri_problem(uri: str) -> str | None:
    """RFC 6749 §3.1.2: an absolute URI without a fragment, http(s) or a native app's own
    scheme (RFC 8252 §7.1); the rule is redirect_uris.problem, as for the API and the import."""
    if "#" in uri:
        return f"{uri} has a fragment; redirect URIs must not."
    found = redirect_uris.problem(uri)
    return f"{uri} {found}." if found else None


def _web_origin_problem(origin: str) -> str | None:
    """An origin is scheme://host[:port], nothing more (RFC 6454). Keycloak's ``+`` (the redirect
    URIs' origins) and ``*`` pass here; ClientForm keeps ``*`` only on a client that already had
    it (from a realm file)."""
    if origin in KEYCLOAK_ORIGINS:
        return None
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


_REDIRECT_HELP = (
    "One per line: absolute URIs without a fragment, http(s) or a native app's own scheme "
    "(com.example.app:/callback). A public client's http://127.0.0.1/… or http://[::1]/… "
    "matches on any port (RFC 8252 §7.3); every other URI exactly."
)


def _logout_url_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=help_text,
    )


# The form's logout fields and the client attributes they are kept in (Keycloak's names).
_LOGOUT_URLS = {
    "frontchannel_logout_url": FRONTCHANNEL_URL_ATTRIBUTE,
    "backchannel_logout_url": BACKCHANNEL_URL_ATTRIBUTE,
}
_LOGOUT_SESSION_FLAGS = {
    "frontchannel_logout_session_required": FRONTCHANNEL_SESSION_ATTRIBUTE,
    "backchannel_logout_session_required": BACKCHANNEL_SESSION_ATTRIBUTE,
}
_LOGOUT_ATTRIBUTES = {
    FRONTCHANNEL_LOGOUT_ATTRIBUTE,
    *_LOGOUT_URLS.values(),
    *_LOGOUT_SESSION_FLAGS.values(),
}


class ClientForm(RealmScopedForm, client_authentication.ClientAuthenticationFields):
    redirect_uris = URIListField(
        label="Valid redirect URIs",
        check=_redirect_uri_problem,
        help_text=_REDIRECT_HELP,
    )
    post_logout_redirect_uris = URIListField(
        label="Valid post logout redirect URIs",
        check=_redirect_uri_problem,
        help_text=_REDIRECT_HELP,
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
    service_account_roles = forms.ModelMultipleChoiceField(
        label="Service account roles",
        queryset=Role.objects.none(),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple("roles", is_stacked=False),
        help_text="Roles in the client-credentials tokens of this client.",
    )
    dpop_bound_access_tokens = forms.BooleanField(
        label="Require DPoP bound tokens",
        required=False,
        help_text="Every token request must carry a DPoP proof (RFC 9449); its tokens are bound "
        "to the client's key. Off, a client may still send one. Keycloak's attribute "
        f"{dpop.REQUIRED_ATTRIBUTE}.",
    )
    dpop_nonce_required = forms.BooleanField(
        label="Require DPoP nonces",
        required=False,
        help_text="The client's DPoP proofs must carry a nonce the server gave "
        f"(DPoP-Nonce); attribute {dpop.NONCE_ATTRIBUTE}.",
    )
    frontchannel_logout = forms.BooleanField(
        label="Front channel logout",
        required=False,
        help_text="When a session of this client ends at the end-session endpoint, the browser "
        "loads the front-channel logout URL in a hidden frame (OpenID Connect Front-Channel "
        "Logout).",
    )
    frontchannel_logout_url = _logout_url_field(
        "Front-channel logout URL",
        "An absolute http(s) URL without a fragment, at the origin of a redirect URI.",
    )
    frontchannel_logout_session_required = forms.BooleanField(
        label="Front-channel logout session required",
        required=False,
        initial=True,
        help_text="Add iss and sid (the session's id, as in the ID token) to the URL.",
    )
    backchannel_logout_url = _logout_url_field(
        "Backchannel logout URL",
        "Where a logout token is POSTed when a session of this client ends (OpenID Connect "
        "Back-Channel Logout): an absolute http(s) URL without a fragment.",
    )
    backchannel_logout_session_required = forms.BooleanField(
        label="Backchannel logout session required",
        required=False,
        initial=True,
        help_text="Put the session's id (sid) in the logout token.",
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
        for name, attribute in _ATTRIBUTE_SWITCHES.items():
            if name in self.fields:
                self.fields[name].initial = _switched_on(self.instance, attribute)
        self.init_client_authentication(self.instance)
        self._show_logout_settings()
        roles = self.fields.get("service_account_roles")
        if roles is not None and self.instance.realm_id is not None:
            roles.queryset = for_realm(Role, self.instance.realm).select_related("client")
            account = self.instance.service_account
            if account is not None:
                roles.initial = list(account.roles.all())

    def _show_logout_settings(self) -> None:
        """The logout attributes have fields of their own: shown there, not among the other
        attributes."""
        client = self.instance
        attributes = client.attributes if isinstance(client.attributes, dict) else {}
        shown = self.initial.get("attributes", attributes)  # less what other fields show
        self.initial["attributes"] = {
            name: value for name, value in shown.items() if name not in _LOGOUT_ATTRIBUTES
        }
        self.initial["frontchannel_logout"] = client.frontchannel_logout
        self.initial["frontchannel_logout_url"] = attributes.get(FRONTCHANNEL_URL_ATTRIBUTE, "")
        self.initial["backchannel_logout_url"] = client.backchannel_logout_url
        self.initial["frontchannel_logout_session_required"] = (
            client.frontchannel_logout_session_required
        )
        self.initial["backchannel_logout_session_required"] = (
            client.backchannel_logout_session_required
        )

    def _clean_logout_url(self, name: str) -> str:
        uri = (self.cleaned_data.get(name) or "").strip()
        problem = uri and redirect_uris.web_problem(uri, "logout URL")
        if problem:
            raise ValidationError(f"{uri} {problem}.")
        return uri

    def clean_frontchannel_logout_url(self):
        return self._clean_logout_url("frontchannel_logout_url")

    def clean_backchannel_logout_url(self):
        return self._clean_logout_url("backchannel_logout_url")

    def _logout_attributes(self, attributes: dict) -> dict:
        """``attributes`` with the logout fields written into them. A session-required flag
        is written where it was before, or when it is off for a URL (on is Keycloak's
        default, and without a URL it means nothing)."""
        found = {key: value for key, value in attributes.items() if key not in _LOGOUT_ATTRIBUTES}
        before = self.instance.attributes if isinstance(self.instance.attributes, dict) else {}
        if self.cleaned_data.get("frontchannel_logout"):
            found[FRONTCHANNEL_LOGOUT_ATTRIBUTE] = "true"
        for field, attribute in _LOGOUT_URLS.items():
            if self.cleaned_data.get(field):
                found[attribute] = self.cleaned_data[field]
        for (url_field, _), (field, attribute) in zip(
            _LOGOUT_URLS.items(), _LOGOUT_SESSION_FLAGS.items(), strict=True
        ):
            required = bool(self.cleaned_data.get(field))
            if attribute in before or (not required and self.cleaned_data.get(url_field)):
                found[attribute] = "true" if required else "false"
        return found

    def clean_allowed_origins(self):
        origins = self.cleaned_data.get("allowed_origins", "")
        if WILDCARD in origins.split() and not self.instance.allows_any_origin:
            raise ValidationError(
                "Any origin (*) comes only with a client imported from Keycloak; list each origin."
            )
        return origins

    def clean_attributes(self):
        attributes = self.cleaned_data.get("attributes")
        if attributes is None:
            return {}
        if not isinstance(attributes, dict):
            raise ValidationError('Attributes are a JSON object: {"name": "value", ...}.')
        return attributes

    def clean(self):
        data = super().clean()
        self._switch_attributes(data)
        if isinstance(data.get("attributes"), dict):
            data["attributes"] = self._logout_attributes(data["attributes"])
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
        strangers = [
            role
            for role in data.get("service_account_roles") or ()
            if role.realm_id != self.instance.realm_id
        ]
        if strangers:
            self.add_error("service_account_roles", "Not a role of this client's realm.")
        self._check_service_account_name(data)
        self.clean_client_authentication(data)
        return data

    def _switch_attributes(self, data) -> None:
        """The switches kept as Keycloak's client attributes: "true" when on, left out when
        off; the other attributes as the Advanced field has them."""
        if "attributes" not in data:
            return
        attributes = dict(data["attributes"] or {})
        for name, attribute in _ATTRIBUTE_SWITCHES.items():
            if name not in self.fields:
                continue
            if data.get(name):
                attributes[attribute] = "true"
            else:
                attributes.pop(attribute, None)
        data["attributes"] = attributes

    def _check_service_account_name(self, data) -> None:
        """A user who already has the service account's name is not taken over."""
        if not data.get("service_accounts_enabled") or self.instance.service_account_id:
            return
        realm = data.get("realm") or (self.instance.realm if self.instance.realm_id else None)
        client_id = data.get("client_id") or self.instance.client_id
        if realm is None or not client_id:
            return
        username = service_account_username(client_id)
        if for_realm(User, realm).filter(username=username).exists():
            self.add_error(
                "service_accounts_enabled",
                f"A user named {username} exists and is not this client's service account.",
            )


# Form switches that are client attributes.
_ATTRIBUTE_SWITCHES = {
    "dpop_bound_access_tokens": dpop.REQUIRED_ATTRIBUTE,
    "dpop_nonce_required": dpop.NONCE_ATTRIBUTE,
}


def _switched_on(client: Client, attribute: str) -> bool:
    attributes = client.attributes if isinstance(client.attributes, dict) else {}
    return str(attributes.get(attribute, "false")).lower() == "true"


class ClientWithoutServiceAccountForm(ClientForm):
    """A client without service accounts has no service-account roles to edit."""

    service_account_roles = None


class ClientAddForm(ClientForm):
    """The add page: the kind of client first, which sets the capability config for it."""

    service_account_roles = None

    kind = forms.ChoiceField(
        label="Kind of client",
        choices=[*ClientKind.CHOICES, ("", "Custom: as set in Capability config below")],
        initial=ClientKind.CONFIDENTIAL,
        required=False,
        widget=forms.RadioSelect,
        help_text="Sets client type, flows and PKCE for that kind of application.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "client_type" in self.fields:
            self.fields["client_type"].required = False
            self.fields["client_type"].initial = Client.CLIENT_CONFIDENTIAL

    def clean(self):
        kind = self.cleaned_data.get("kind")
        if not kind and not self.cleaned_data.get("client_type"):
            self.add_error("client_type", "Choose a kind of client or a client type.")
        if kind == ClientKind.PUBLIC:
            self.cleaned_data.update(
                client_type=Client.CLIENT_PUBLIC,
                standard_flow_enabled=True,
                service_accounts_enabled=False,
                pkce_method="S256",
            )
            self.instance.pkce_method = "S256"
        elif kind == ClientKind.SERVICE:
            self.cleaned_data.update(
                client_type=Client.CLIENT_CONFIDENTIAL,
                standard_flow_enabled=False,
                service_accounts_enabled=True,
            )
        elif kind == ClientKind.CONFIDENTIAL:
            self.cleaned_data.update(
                client_type=Client.CLIENT_CONFIDENTIAL, standard_flow_enabled=True
            )
        for name in ("client_type", "standard_flow_enabled", "service_accounts_enabled"):
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
        return super().clean()


class ClientRoleInline(admin.TabularInline):
    """The client's roles (Keycloak's client roles), in the client's realm."""

    model = Role
    fk_name = "client"
    fields = ["name", "description"]
    extra = 0
    verbose_name = "client role"
    verbose_name_plural = "Client roles"


# A client imported from Keycloak may keep Keycloak's wildcard redirect URIs.
WILDCARD_WARNING = (
    "This client's redirect URIs use Keycloak's wildcard (a trailing *): any URI that begins "
    "the same way is accepted, which RFC 9700 §4.1.3 advises against. List each redirect URI, "
    "or turn on exact redirect URIs in the realm's settings."
)
ANY_ORIGIN_WARNING = (
    "This client's web origins hold Keycloak's * : a script of any web site may read the "
    "answers of the token, userinfo and logout endpoints meant for it. List each origin, or "
    "turn on exact redirect URIs in the realm's settings, which turns * off too."
)


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
    # The service-account user is made for its client and never pointed at another user.
    readonly_fields = ["client_secret_status", "service_account"]
    inlines = [ClientRoleInline]
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
                    "dpop_bound_access_tokens",
                    "dpop_nonce_required",
                ]
            },
        ),
        ("Login settings", {"fields": ["consent_required"]}),
        (
            "Access settings",
            {"fields": ["redirect_uris", "post_logout_redirect_uris", "allowed_origins"]},
        ),
        (
            "Logout settings",
            {
                "fields": [
                    "frontchannel_logout",
                    "frontchannel_logout_url",
                    "frontchannel_logout_session_required",
                    "backchannel_logout_url",
                    "backchannel_logout_session_required",
                ]
            },
        ),
        ("Client scopes", {"fields": ["default_client_scopes", "optional_client_scopes"]}),
        ("Advanced", {"fields": ["attributes"]}),
    ]
    credentials_fieldset = (
        "Credentials",
        {"fields": ["client_secret_status", "regenerate_secret", *client_authentication.FIELDS]},
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            credentials = ("Credentials", {"fields": client_authentication.FIELDS})
            kind = ("Kind", {"fields": ["kind"]})
            return [self.fieldsets[0], kind, self.fieldsets[1], credentials, *self.fieldsets[2:]]
        fieldsets = [*self.fieldsets[:2], self.credentials_fieldset, *self.fieldsets[2:]]
        if obj.service_accounts_enabled:
            fieldsets.insert(3, ("Service account roles", {"fields": ["service_account_roles"]}))
        return fieldsets

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.has_wildcard_redirect_uris and request.method == "GET":
            self.message_user(request, WILDCARD_WARNING, messages.WARNING)
        if obj is not None and obj.allows_any_origin and request.method == "GET":
            self.message_user(request, ANY_ORIGIN_WARNING, messages.WARNING)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ClientAddForm
        elif not obj.service_accounts_enabled:
            kwargs["form"] = ClientWithoutServiceAccountForm
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # Deleting a client is deleting what its service account may do: as for its secret.
        account = obj.service_account if obj is not None else None
        if account is not None and not permissions.may_take_over(
            permissions.of_console_user(request.user), account
        ):
            return False
        return super().has_delete_permission(request, obj)

    def save_formset(self, request, form, formset, change):
        roles = formset.save(commit=False)
        for role in roles:
            role.realm = form.instance.realm  # A client role lives in its client's realm.
            role.save()
        for role in formset.deleted_objects:
            role.delete()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        client = form.instance
        if not change:
            self._apply_default_scopes(client)
        if client.service_accounts_enabled and client.service_account is None:
            client.create_service_account()
        # Only the client's own account, only when they were changed; the grant rule checks
        # them with every other change of the page (base.guarded_view).
        if "service_account_roles" in form.changed_data and client.service_account is not None:
            client.service_account.roles.set(form.cleaned_data["service_account_roles"])

    def _apply_default_scopes(self, client):
        scopes = for_realm(client.default_client_scopes.model, client.realm)
        if not client.default_client_scopes.exists():
            client.default_client_scopes.set(scopes.filter(name__in=DEFAULT_SCOPES))
        if not client.optional_client_scopes.exists() and not client.is_public:
            client.optional_client_scopes.set(scopes.filter(name__in=OPTIONAL_SCOPES))

    @admin.display(description="client secret")
    def client_secret_status(self, obj):
        if obj is None or obj.is_public:
            return "none (public client)"
        return "set (stored hashed; regenerate to get a new one)" if obj.client_secret else "none"

    def _check_secret_change(self, request, client):
        """Whoever learns the secret gets the service account's tokens: it takes taking over
        that account (accounts.permissions.check_secret_change)."""
        try:
            permissions.check_secret_change(permissions.of_console_user(request.user), client)
        except permissions.Refused as error:
            raise PermissionDenied(str(error)) from None

    def save_model(self, request, obj, form, change):
        secret = None
        # The toolkit would hash even an empty secret: a public client stores none, unhashed.
        obj.hash_client_secret = not obj.is_public
        if obj.is_public:
            obj.client_secret = ""
        elif not change or not obj.client_secret or form.cleaned_data.get("regenerate_secret"):
            if change:
                self._check_secret_change(request, obj)
            # The model's default secret is never shown: issue our own, hashed on save.
            secret = generate_client_secret()
            obj.client_secret = secret
        super().save_model(request, obj, form, change)
        if secret is not None:
            self.message_user(request, SHOWN_ONCE.format(secret=secret), messages.WARNING)
