"""Realm settings, with key rotation and the realm file's import and export (realm_files)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path

from accounts import password_policy, sealed, webauthn_policy
from accounts.administrators import administered_realms, administers, administers_any
from accounts.console_audit import AuditedAdmin
from accounts.models import MASTER_REALM, Realm
from authserver.admin import realm_files
from authserver.admin.keys import rotate_keys
from authserver.protocol import client_policies

_POLICY_LABELS = {
    "rpEntityName": ("Relying party name", "Shown by the authenticator; empty: the realm's name."),
    "signatureAlgorithms": ("Signature algorithms", "Key algorithms offered and accepted."),
    "rpId": ("Relying party ID", "Empty: this server's host; else a domain the host is under."),
    "attestationConveyancePreference": ("Attestation conveyance preference", ""),
    "authenticatorAttachment": ("Authenticator attachment", ""),
    "requireResidentKey": ("Require discoverable credential", ""),
    "userVerificationRequirement": ("User verification requirement", ""),
    "createTimeout": ("Timeout (seconds)", "Time given to register one; 0: a minute."),
    "avoidSameAuthenticatorRegister": ("Avoid registering the same authenticator twice", ""),
    "acceptableAaguids": (
        "Acceptable AAGUIDs",
        "One authenticator model per line; empty: any.",
    ),
    "passkeysEnabled": (
        "Passkeys (passwordless sign-in)",
        "The login page offers to sign in with a passkey alone, and users may add such passkeys.",
    ),
}


def _policy_field(key: str, kind: type, choices) -> forms.Field:
    label, help_text = _POLICY_LABELS[key]
    common = {"label": label, "help_text": help_text, "required": False}
    if kind is list and choices:
        return forms.MultipleChoiceField(
            choices=[(each, each) for each in choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind is list:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
    if choices:
        return forms.ChoiceField(choices=[(each, each) for each in choices], **common)
    if kind is int:
        return forms.IntegerField(
            min_value=0, max_value=webauthn_policy.MAX_TIMEOUT_SECONDS, **common
        )
    if kind is bool:
        return forms.BooleanField(**common)
    return forms.CharField(max_length=255, **common)


# The form fields of both policies, named as Keycloak names the settings.
POLICY_FIELDS = {
    prefix: {
        webauthn_policy.field_name(prefix, key): (key, _policy_field(key, kind, choices))
        for key, kind, _default, choices in webauthn_policy.settings_of(prefix)
    }
    for prefix in (webauthn_policy.SECOND_FACTOR, webauthn_policy.PASSWORDLESS)
}
_MODEL_FIELD = {
    webauthn_policy.SECOND_FACTOR: "webauthn_policy",
    webauthn_policy.PASSWORDLESS: "webauthn_policy_passwordless",
}


class _RealmForm(forms.ModelForm):
    class Meta:
        model = Realm
        fields = [
            "name",
            "display_name",
            "enabled",
            "access_token_lifespan",
            "sso_session_idle_timeout",
            "sso_session_max_lifespan",
            "revoke_refresh_token",
            "default_signature_algorithm",
            "password_policy",
            "brute_force_protected",
            "failure_factor",
            "exact_redirect_uris",
            "otp_required",
            "otp_policy_type",
            "otp_policy_algorithm",
            "otp_policy_digits",
            "otp_policy_period",
            "otp_policy_look_ahead_window",
            "otp_policy_initial_counter",
            "registration_allowed",
            "registration_email_as_username",
            "login_with_email_allowed",
            "duplicate_emails_allowed",
            "reset_password_allowed",
            "verify_email",
            "smtp_server",
            "client_policies",
            "client_profiles",
        ]
        help_texts = {
            "client_policies": 'Keycloak\'s clientPolicies, e.g. {"policies": [{"name": "fapi", '
            '"enabled": true, "conditions": [{"condition": "client-access-type", '
            '"configuration": {"type": ["confidential"]}}], "profiles": '
            '["fapi-2-security-profile"]}]}. Conditions: any-client, client-access-type, '
            "client-attributes, client-roles, client-scopes.",
            "client_profiles": 'The realm\'s own profiles, e.g. {"profiles": [{"name": "par", '
            '"executors": [{"executor": "secure-par-content"}]}]}. Built in: '
            "fapi-2-security-profile, fapi-2-dpop-security-profile.",
        }

    smtp_password = forms.CharField(
        label="SMTP password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Replaces the stored password (kept sealed, never shown); empty keeps it.",
    )

    def clean_smtp_server(self):
        server = self.cleaned_data["smtp_server"] or {}
        if not isinstance(server, dict) or not all(
            isinstance(value, str) for value in server.values()
        ):
            raise ValidationError(
                'Keycloak\'s smtpServer: an object of strings, e.g. {"host": "smtp.example.com", '
                '"port": "587", "from": "no-reply@example.com", "starttls": "true"}.'
            )
        server.pop("password", None)
        return server

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prefix, fields in POLICY_FIELDS.items():
            stored = getattr(self.instance, _MODEL_FIELD[prefix]) or {}
            policy, _notes = webauthn_policy.checked(prefix, stored)
            for name, (key, _field) in fields.items():
                value = policy[key]
                if key == "acceptableAaguids":
                    value = "\n".join(value)
                self.initial.setdefault(name, value)

    def clean(self):
        data = super().clean()
        self.policies = {}
        for prefix, fields in POLICY_FIELDS.items():
            given = {}
            for name, (key, _field) in fields.items():
                value = data.get(name)
                if key == "acceptableAaguids":
                    value = (value or "").split()
                if value is not None and value != "":
                    given[key] = value
            try:
                policy, _notes = webauthn_policy.checked(prefix, given)
            except webauthn_policy.PolicyError as error:
                self.add_error(webauthn_policy.field_name(prefix, error.key), str(error))
                continue
            problem = webauthn_policy.rp_id_problem(policy["rpId"])
            if problem:
                self.add_error(webauthn_policy.field_name(prefix, "rpId"), f"It {problem}.")
                continue
            self.policies[prefix] = policy
        self._clean_client_policies(data)
        return data

    def save(self, commit=True):
        realm = super().save(commit=False)
        for prefix, policy in self.policies.items():
            setattr(realm, _MODEL_FIELD[prefix], policy)
        if self.cleaned_data.get("smtp_password"):
            realm.smtp_password_sealed = sealed.seal(self.cleaned_data["smtp_password"])
        if commit:
            realm.save()
            self.save_m2m()
        return realm

    def _clean_client_policies(self, cleaned: dict) -> None:
        policies = cleaned.get("client_policies") or {"policies": []}
        profiles = cleaned.get("client_profiles") or {"profiles": []}
        algorithm = cleaned.get("default_signature_algorithm")
        if "client_policies" in cleaned and "client_profiles" in cleaned and algorithm:
            try:
                problems = client_policies.check(
                    policies=policies, profiles=profiles, signature_algorithm=algorithm
                )
            except client_policies.PolicyDocumentError as error:
                raise ValidationError({"client_policies": str(error)}) from None
            if problems:
                raise ValidationError({"client_policies": problems})
            cleaned["client_policies"], cleaned["client_profiles"] = policies, profiles

    def clean_password_policy(self):
        policy = self.cleaned_data["password_policy"].strip()
        try:
            password_policy.parse(policy)
        except password_policy.PasswordPolicyError as error:
            raise ValidationError(f"Invalid password policy: {error}.") from None
        return policy

    def clean_enabled(self):
        enabled = self.cleaned_data["enabled"]
        if not enabled and self.instance.name == MASTER_REALM:
            raise ValidationError("The master realm is where console users log in: keep it on.")
        return enabled


# Django's form metaclass collects the policies' fields from the class's attributes.
RealmForm = type(
    "RealmForm",
    (_RealmForm,),
    {name: field for fields in POLICY_FIELDS.values() for name, (_key, field) in fields.items()},
)


@admin.register(Realm)
class RealmAdmin(AuditedAdmin):
    """Realm settings. A realm administrator sees only their realms and may change them (with
    the permission), rotate their keys, import and export their realm file; creating and
    deleting realms is for superusers."""

    form = RealmForm
    actions = ["rotate_signing_keys"]
    change_form_template = "admin/console/realm_change_form.html"
    change_list_template = "admin/console/realm_change_list.html"
    list_display = [
        "name",
        "display_name",
        "enabled",
        "default_signature_algorithm",
        "brute_force_protected",
        "created",
    ]
    list_filter = ["enabled", "default_signature_algorithm", "brute_force_protected"]
    search_fields = ["name", "display_name"]
    readonly_fields = ["issuer", "created"]
    fieldsets = [
        (None, {"fields": ["name", "display_name", "enabled", "issuer", "created"]}),
        (
            "Tokens",
            {
                "fields": [
                    "access_token_lifespan",
                    "sso_session_idle_timeout",
                    "sso_session_max_lifespan",
                    "revoke_refresh_token",
                    "default_signature_algorithm",
                ]
            },
        ),
        ("Password policy", {"fields": ["password_policy"]}),
        ("Redirect URIs", {"fields": ["exact_redirect_uris"]}),
        ("Brute force detection", {"fields": ["brute_force_protected", "failure_factor"]}),
        (
            "OTP policy",
            {
                "fields": [
                    "otp_required",
                    "otp_policy_type",
                    "otp_policy_algorithm",
                    "otp_policy_digits",
                    "otp_policy_period",
                    "otp_policy_look_ahead_window",
                    "otp_policy_initial_counter",
                ],
                "description": "Applies to authenticators enrolled from now on; enrolled ones "
                "keep the policy they were enrolled under.",
            },
        ),
        (
            "WebAuthn policy (passkeys as a second factor)",
            {
                "fields": list(POLICY_FIELDS[webauthn_policy.SECOND_FACTOR]),
                "classes": ["collapse"],
                "description": "Keycloak's webAuthnPolicy: how passkeys that follow the "
                "password are registered and checked.",
            },
        ),
        (
            "WebAuthn passwordless policy",
            {
                "fields": list(POLICY_FIELDS[webauthn_policy.PASSWORDLESS]),
                "classes": ["collapse"],
                "description": "Keycloak's webAuthnPolicyPasswordless: passkeys that sign in "
                "alone, with user verification (always required when signing in).",
            },
        ),
        (
            "Login and e-mail",
            {
                "fields": [
                    "registration_allowed",
                    "registration_email_as_username",
                    "login_with_email_allowed",
                    "duplicate_emails_allowed",
                    "reset_password_allowed",
                    "verify_email",
                    "smtp_server",
                    "smtp_password",
                ],
                "description": "Without an SMTP host, mail goes through the installation's "
                "AUTHSERVER_EMAIL_BACKEND (the console by default).",
            },
        ),
        (
            "Client policies",
            {
                "fields": ["client_policies", "client_profiles"],
                "description": "What the realm requires of the clients a policy selects, as "
                "Keycloak writes it. The FAPI 2.0 profiles need ES256 signatures.",
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.insert(0, "name")  # The issuer, cookies and URLs all carry the name.
        return fields

    def get_actions(self, request):
        # Deleting a realm deletes its users, clients and keys: one realm at a time, knowingly.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=administered_realms(request.user))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such realm")
        return obj

    def has_module_permission(self, request):
        return super().has_module_permission(request) and administers_any(request.user)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or administers(request.user, obj.pk))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or administers(request.user, obj.pk))

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name == MASTER_REALM:
            return False
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    @admin.display(description="issuer")
    def issuer(self, obj):
        return obj.issuer if obj is not None and obj.pk else ""

    def has_rotate_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    @admin.action(description="Rotate signing keys of selected realms", permissions=["rotate"])
    def rotate_signing_keys(self, request, queryset):
        return rotate_keys(self, request, queryset)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "import/",
                wrap(realm_files.ImportView.as_view(model_admin=self)),
                name="accounts_realm_import",
            ),
            path(
                "<int:realm_id>/export/",
                wrap(realm_files.export_view(self)),
                name="accounts_realm_export",
            ),
            *super().get_urls(),
        ]
