"""Users of a realm: details, credentials, role mappings and groups; console rights in master."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts import login_names, otp, passkeys, permissions, required_actions
from accounts.backends import reset_failures
from accounts.console_audit import record, snapshot
from accounts.models import MASTER_REALM, OTPDevice, User
from authserver.admin.base import RealmScopedAdmin, RealmScopedForm


class LockedOutFilter(admin.SimpleListFilter):
    title = "brute-force lockout"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "Has failed logins")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(failed_logins__gt=0)
        return queryset


class _UniqueEmail:
    """A form of a user: the address may not be another's of the realm unless the realm allows
    duplicate e-mails (accounts.login_names)."""

    def clean(self):
        data = super().clean()
        realm, email = self._realm_being_saved(), data.get("email")
        unchanged = (
            self.instance.pk is not None
            and (email or "").lower() == (self.initial.get("email") or "").lower()
        )
        taken = realm is not None and not unchanged
        if taken and login_names.email_taken(realm, email, other_than=self.instance):
            self.add_error("email", login_names.EMAIL_TAKEN)
        return data


class UserAddForm(_UniqueEmail, RealmScopedForm):
    """A new user of a realm, with an optional initial password checked by the realm's policy."""

    password1 = forms.CharField(
        label="Initial password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Checked against the realm's password policy. Leave empty for no password.",
    )
    password2 = forms.CharField(
        label="Initial password (again)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = [
            "realm",
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "password_temporary",
        ]
        labels = {"password_temporary": "Temporary password"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password_temporary" in self.fields:
            self.fields["password_temporary"].initial = True

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        return data

    def _post_clean(self):
        super()._post_clean()
        # The policy is the realm's, and notUsername/notEmail need the user: validate once the
        # instance carries the submitted realm, username and email.
        password = self.cleaned_data.get("password1")
        if password and self.instance.realm_id is not None:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)

    def save(self, commit=True):
        user = super().save(commit=False)
        password = self.cleaned_data.get("password1")
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
            user.password_temporary = False
        if commit:
            user.save()
            self.save_m2m()
        return user


class UserChangeForm(_UniqueEmail, RealmScopedForm):
    """A user's details and role mappings; the password can only be replaced, never read."""

    required_actions = forms.MultipleChoiceField(
        label="Required user actions",
        required=False,
        choices=[
            (action, required_actions.LABELS[action])
            for action in required_actions.ALL
            if action != required_actions.UPDATE_PASSWORD
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text="Done by the user at the next login (a temporary password is below).",
    )
    remove_authenticators = forms.BooleanField(
        label="Remove authenticators",
        required=False,
        help_text="Removes the user's OTP authenticators and recovery codes (a lost phone).",
    )
    remove_passkeys = forms.BooleanField(
        label="Remove passkeys",
        required=False,
        help_text="Removes the user's passkeys (WebAuthn), second-factor and passwordless.",
    )

    new_password = forms.CharField(
        label="Set temporary password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Replaces the password; the user must choose a new one at the next login. "
        "Checked against the realm's password policy.",
    )

    class Meta:
        model = User
        fields = [
            "username",
            "email",
            "email_verified",
            "first_name",
            "last_name",
            "password_temporary",
            "roles",
            "realm_groups",
            "is_active",
            "is_staff",
            "is_superuser",
            "administered_realms",
            "groups",
            "user_permissions",
        ]

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("new_password")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("new_password", error)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "required_actions" in self.fields:
            self.initial["required_actions"] = self.instance.required_actions

    def save(self, commit=True):
        user = super().save(commit=False)
        password = self.cleaned_data.get("new_password")
        if password:
            user.set_password(password)
            user.password_temporary = True
        if "required_actions" in self.cleaned_data:
            user.required_actions = required_actions.stored(self.cleaned_data["required_actions"])
        if commit:
            user.save()
            self.save_m2m()
        return user

    def _save_m2m(self):
        # The console saves the user, then calls this: the devices go once the user is saved.
        super()._save_m2m()
        if self.cleaned_data.get("remove_authenticators"):
            for device in OTPDevice.objects.filter(user=self.instance):
                otp.remove_device(device)
        if self.cleaned_data.get("remove_passkeys"):
            passkeys.all_of(self.instance).delete()


@admin.register(User)
class UserAdmin(RealmScopedAdmin):
    add_form = UserAddForm
    form = UserChangeForm
    list_display = [
        "username",
        "realm",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "password_status",
        "is_staff",
    ]
    list_filter = [
        "realm",
        "is_active",
        "password_temporary",
        "is_staff",
        "is_superuser",
        LockedOutFilter,
    ]
    search_fields = ["username", "email", "first_name", "last_name"]
    filter_horizontal = [
        "roles",
        "realm_groups",
        "administered_realms",
        "groups",
        "user_permissions",
    ]
    actions = ["unlock_users"]
    readonly_fields = [
        "password_status",
        "authenticators",
        "user_passkeys",
        "sso_sessions",
        "consents",
        "failed_logins",
        "last_failed_login",
        "last_login",
        "date_joined",
    ]
    add_fieldsets = [
        (None, {"fields": ["realm", "username", "email", "first_name", "last_name", "is_active"]}),
        ("Credentials", {"fields": ["password1", "password2", "password_temporary"]}),
    ]
    fieldsets = [
        (None, {"fields": ["realm", "username", "email", "email_verified"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        (
            "Credentials",
            {
                "fields": [
                    "password_status",
                    "new_password",
                    "password_temporary",
                    "authenticators",
                    "remove_authenticators",
                    "user_passkeys",
                    "remove_passkeys",
                    "required_actions",
                    "failed_logins",
                    "last_failed_login",
                ]
            },
        ),
        ("Role mapping", {"fields": ["roles", "realm_groups"]}),
        ("Sessions and consents", {"fields": ["sso_sessions", "consents"]}),
        ("Status", {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    console_fieldset = (
        "Console access (master realm)",
        {
            "fields": [
                "is_staff",
                "is_superuser",
                "administered_realms",
                "groups",
                "user_permissions",
            ],
            "description": "A console user who is not a superuser sees only the realms "
            "they administer, and there does what their permissions allow.",
        },
    )
    _console_rights = [
        "is_staff",
        "is_superuser",
        "administered_realms",
        "groups",
        "user_permissions",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if obj.realm.name == MASTER_REALM:
            return [*self.fieldsets, self.console_fieldset]
        return self.fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and not request.user.is_superuser:
            # Only a superuser hands out console rights; others cannot raise their own.
            fields = [*fields, *self._console_rights]
        return fields

    def _may_take_over(self, request, obj) -> bool:
        """Changing a user (password, status, roles) or deleting it needs every admin role it
        holds; console accounts are the superusers' (accounts.permissions.may_take_over)."""
        if obj is None:
            return True
        return permissions.may_take_over(permissions.of_console_user(request.user), obj)

    def has_change_permission(self, request, obj=None):
        return self._may_take_over(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_take_over(request, obj) and super().has_delete_permission(request, obj)

    @admin.action(description="Unlock selected users (reset failed logins)", permissions=["change"])
    def unlock_users(self, request, queryset):
        # Unlocking lets guessing go on: it is changing the user, as the change page is.
        stronger = [user.username for user in queryset if not self._may_take_over(request, user)]
        if stronger:
            raise PermissionDenied(f"Not yours to unlock: {', '.join(stronger)}.")
        for user in queryset.filter(failed_logins__gt=0):
            before = snapshot(user)
            reset_failures(user)
            user.refresh_from_db()
            record(
                request, "ACTION", user, before=before, after={**snapshot(user), "action": "unlock"}
            )
        self.message_user(request, "The selected users can log in again.", messages.SUCCESS)

    @admin.display(description="SSO sessions")
    def sso_sessions(self, obj):
        if obj is None or obj.pk is None:
            return ""
        live = obj.sessions.filter(ended__isnull=True).order_by("-last_seen")[:10]
        url = reverse("admin:accounts_usersession_changelist") + f"?user__id__exact={obj.pk}"
        rows = format_html_join(
            "",
            "<li>started {} from {}, last seen {}</li>",
            (
                (
                    s.started.strftime("%Y-%m-%d %H:%M"),
                    s.ip_address or "?",
                    s.last_seen.strftime("%Y-%m-%d %H:%M"),
                )
                for s in live
            ),
        )
        return format_html(
            '<ul class="console-list">{}</ul><a href="{}">{} — see and revoke</a>',
            rows,
            url,
            f"{len(live)} active session(s)" if live else "No active session",
        )

    @admin.display(description="granted consents")
    def consents(self, obj):
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:authserver_consent_changelist") + f"?user__id__exact={obj.pk}"
        return format_html('<a href="{}">Consents this user has granted — see and revoke</a>', url)

    @admin.display(description="OTP authenticators")
    def authenticators(self, obj):
        if obj is None or obj.pk is None:
            return ""
        devices = otp.confirmed_devices(obj)
        if not devices:
            return "none"
        rows = format_html_join(
            "",
            "<li>{} ({}, enrolled {}, last used {})</li>",
            (
                (
                    d.name,
                    d.get_kind_display(),
                    d.created.strftime("%Y-%m-%d"),
                    d.last_used.strftime("%Y-%m-%d %H:%M") if d.last_used else "never",
                )
                for d in devices
            ),
        )
        return format_html(
            '<ul class="console-list">{}</ul>{} recovery code(s) left',
            rows,
            otp.recovery_codes_left(obj),
        )

    @admin.display(description="passkeys")
    def user_passkeys(self, obj):
        if obj is None or obj.pk is None:
            return ""
        found = passkeys.all_of(obj)
        if not found:
            return "none"
        rows = format_html_join(
            "",
            "<li>{} ({}, added {}, last used {})</li>",
            (
                (
                    each.name,
                    "passwordless" if each.passwordless else "second factor",
                    each.created.strftime("%Y-%m-%d"),
                    each.last_used.strftime("%Y-%m-%d %H:%M") if each.last_used else "never",
                )
                for each in found
            ),
        )
        return format_html('<ul class="console-list">{}</ul>', rows)

    @admin.display(description="password")
    def password_status(self, obj):
        if obj is None or not obj.password or not obj.has_usable_password():
            return "not set"
        return "set (temporary)" if obj.password_temporary else "set"
