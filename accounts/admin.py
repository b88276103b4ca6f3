"""The admin console for realms and what they own, always filtered by realm.

Every list filters and shows the realm. Every picker of a realm-owned object (roles, groups,
scopes, clients, users) offers only the objects of the edited object's realm; where the realm is
not known yet (an add page), ``clean()`` rejects a choice from another realm. Console logins
authenticate against the ``master`` realm (accounts.backends.RealmBackend).

Who sees what: a superuser every realm; any other console user only the realms they administer
(accounts.administrators), and of those only what Django's permissions allow. Another realm's
objects are absent from lists, searches, filters, pickers and autocomplete, and their URLs
answer 404. Every change is an admin event (accounts.console_audit).
"""

import re

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import password_validation
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model
from django.http import Http404, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts import password_policy
from accounts.administrators import administered_realms, administers, administers_any
from accounts.backends import reset_failures
from accounts.changelist import LookupSafeChangeList
from accounts.console_audit import AuditedAdmin, record, snapshot
from accounts.models import (
    MASTER_REALM,
    ClientScope,
    Event,
    Group,
    Realm,
    Role,
    User,
    UserSession,
)
from accounts.realms import for_realm
from accounts.sessions import terminate

# A row id in a query string or a form's initial values: anything else names no row.
_ROW_ID = re.compile(r"[0-9]{1,18}")


def _is_realm_owned(model: type[Model]) -> bool:
    try:
        model._meta.get_field("realm")
    except FieldDoesNotExist:
        return False
    return True


def _label_with_realm(obj) -> str:
    return f"{obj.realm.name} / {obj}"


class RealmScopedForm(forms.ModelForm):
    """A model form whose pickers of realm-owned objects stay within one realm.

    When the realm is known (the instance's, or the add page's initial one), pickers offer only
    that realm's objects. Whatever was offered, ``clean()`` checks every chosen object against the
    realm the object is saved into, so a crafted POST cannot link realms either.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        realm = self._known_realm()
        for field in self._realm_scoped_fields().values():
            if realm is not None:
                field.queryset = for_realm(field.queryset, realm)
            else:
                field.queryset = field.queryset.select_related("realm")
                field.label_from_instance = _label_with_realm

    def _known_realm(self) -> Realm | None:
        if self.instance.realm_id is not None:
            return self.instance.realm
        if self.is_bound:
            return None  # clean() checks the choices against the realm that was posted.
        initial = self.initial.get("realm")
        if isinstance(initial, Realm):
            return initial
        is_key = _ROW_ID.fullmatch(str(initial))
        return Realm.objects.filter(pk=initial).first() if is_key else None

    def _realm_scoped_fields(self) -> dict[str, forms.ModelChoiceField]:
        return {
            name: field
            for name, field in self.fields.items()
            if isinstance(field, forms.ModelChoiceField)
            and name != "realm"
            and _is_realm_owned(field.queryset.model)
        }

    def _realm_being_saved(self) -> Realm | None:
        if "realm" in self.fields:
            return self.cleaned_data.get("realm")
        return self.instance.realm if self.instance.realm_id is not None else None

    def clean(self):
        data = super().clean()
        realm = self._realm_being_saved()
        if realm is None:
            return data
        for name in self._realm_scoped_fields():
            chosen = data.get(name)
            if chosen is None:
                continue
            objects = [chosen] if isinstance(chosen, Model) else list(chosen)
            strangers = [obj for obj in objects if obj.realm_id != realm.pk]
            if strangers:
                names = ", ".join(_label_with_realm(obj) for obj in strangers)
                self.add_error(name, f"Not in realm {realm.name}: {names}.")
        return data

    def _get_validation_exclusions(self):
        # The realm is read-only on change pages, so it is not a form field; Django would then
        # skip the per-realm unique constraints (realm + name) and let the database raise.
        exclusions = super()._get_validation_exclusions()
        if self.instance.realm_id is not None:
            exclusions.discard("realm")
        return exclusions


def realm_from_changelist_filters(request) -> str | None:
    """The realm the changelist was filtered by, so "Add" from a filtered list preselects it."""
    filters = QueryDict(request.GET.get("_changelist_filters", ""))
    return filters.get("realm__id__exact") or filters.get("realm")


class AdministeredRealmFilter(admin.RelatedFieldListFilter):
    """A filter by realm, or by a realm-owned object, offering only what is in the realms the
    console user administers."""

    def field_choices(self, field, request, model_admin):
        model = field.related_model
        realms = administered_realms(request.user)
        if model is Realm:
            return [(realm.pk, str(realm)) for realm in realms]
        objects = model._default_manager.filter(realm__in=realms).select_related("realm")
        return [(obj.pk, _label_with_realm(obj)) for obj in objects]

    def has_output(self):
        # Shown (and applied) even with one choice: a value typed into the URL still filters.
        return bool(self.lookup_choices) or bool(self.used_parameters)


def confirm_action(modeladmin, request, queryset, *, title: str, verb: str, perform):
    """Django's pattern for a destructive action: list the objects and ask first; on the
    confirming POST, ``perform(queryset)`` and return None (back to the list)."""
    if request.POST.get("post") == "yes":
        perform(queryset)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "verb": verb,
        "objects": list(queryset),
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/console/confirm_action.html", context)


class RecordOnlyAdmin:
    """Rows written elsewhere (by logins, the key ring, the audit log): the console shows them
    and changes them only through its actions. Put it before the admin class it limits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RealmScopedAdmin(AuditedAdmin):
    """Lists filtered and labelled by realm; the realm of an existing object is read-only; a
    console user sees and touches only the realms they administer."""

    form = RealmScopedForm
    list_select_related = ["realm"]
    # How to reach the object's realm from the model (``client__realm`` for a consent).
    realm_lookup = "realm"

    def get_changelist(self, request, **kwargs):
        return LookupSafeChangeList

    # --- scoping ---

    def realm_id_of(self, obj) -> int | None:
        target = obj
        steps = self.realm_lookup.split("__")
        for step in steps[:-1]:
            target = getattr(target, step)
        return getattr(target, f"{steps[-1]}_id")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.realm_lookup}__in": administered_realms(request.user)})

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Not "deleted perhaps": to a user who may not see it, it does not exist.
            raise Http404("No such object")
        return obj

    def _administers_any(self, request) -> bool:
        return administers_any(request.user)

    def _in_scope(self, request, obj) -> bool:
        if obj is None:
            return self._administers_any(request)
        return request.user.is_superuser or administers(request.user, self.realm_id_of(obj))

    def has_module_permission(self, request):
        return super().has_module_permission(request) and self._administers_any(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._administers_any(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scoped_formfield(field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scoped_formfield(field, request)

    def get_list_filter(self, request):
        return [
            ("realm", AdministeredRealmFilter) if name == "realm" else name
            for name in super().get_list_filter(request)
        ]

    # --- presentation ---

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and "realm" not in fields:
            fields.insert(0, "realm")
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        realm = realm_from_changelist_filters(request)
        if realm and "realm" not in initial:
            initial["realm"] = realm
        return initial


def _scoped_formfield(field, request):
    """Narrow a picker to the realms the console user administers (and their objects)."""
    if field is None or request.user.is_superuser or not hasattr(field, "queryset"):
        return field
    model = field.queryset.model
    realms = administered_realms(request.user)
    if model is Realm:
        field.queryset = field.queryset.filter(pk__in=realms)
    elif _is_realm_owned(model):
        field.queryset = field.queryset.filter(realm__in=realms)
    return field


# --- Realms -------------------------------------------------------------------------------------


class RealmForm(forms.ModelForm):
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
        ]

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


@admin.register(Realm)
class RealmAdmin(AuditedAdmin):
    """Realm settings. A realm administrator sees only their realms and may change them (with
    the permission); creating and deleting realms is for superusers."""

    form = RealmForm
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
        ("Brute force detection", {"fields": ["brute_force_protected", "failure_factor"]}),
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


class LockedOutFilter(admin.SimpleListFilter):
    title = "brute-force lockout"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "Has failed logins")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(failed_logins__gt=0)
        return queryset


# --- Users --------------------------------------------------------------------------------------


class UserAddForm(RealmScopedForm):
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


class UserChangeForm(RealmScopedForm):
    """A user's details and role mappings; the password can only be replaced, never read."""

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

    def save(self, commit=True):
        user = super().save(commit=False)
        password = self.cleaned_data.get("new_password")
        if password:
            user.set_password(password)
            user.password_temporary = True
        if commit:
            user.save()
            self.save_m2m()
        return user


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

    def _guards_console_account(self, request, obj) -> bool:
        # A realm administrator of master must not take over a console account (its password,
        # its rights): console accounts are the superusers' to manage.
        return (
            obj is not None
            and not request.user.is_superuser
            and (obj.is_staff or obj.is_superuser)
            and obj.pk != request.user.pk
        )

    def has_change_permission(self, request, obj=None):
        if self._guards_console_account(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._guards_console_account(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Unlock selected users (reset failed logins)", permissions=["change"])
    def unlock_users(self, request, queryset):
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

    @admin.display(description="password")
    def password_status(self, obj):
        if obj is None or not obj.password or not obj.has_usable_password():
            return "not set"
        return "set (temporary)" if obj.password_temporary else "set"


# --- Roles, groups, client scopes ---------------------------------------------------------------


@admin.register(Role)
class RoleAdmin(RealmScopedAdmin):
    list_display = ["name", "client", "realm", "description"]
    list_filter = ["realm", ("client", admin.EmptyFieldListFilter)]
    list_select_related = ["realm", "client"]
    search_fields = ["name", "description", "client__client_id"]
    fields = ["realm", "client", "name", "description"]


class GroupForm(RealmScopedForm):
    class Meta:
        model = Group
        fields = ["realm", "name", "parent", "roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "parent" in self.fields:
            field = self.fields["parent"]
            field.queryset = field.queryset.exclude(pk__in=self._self_and_descendants())

    def _self_and_descendants(self) -> set[int]:
        groups = for_realm(Group, self.instance.realm)
        found, frontier = {self.instance.pk}, {self.instance.pk}
        while frontier:
            frontier = set(groups.filter(parent__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if (
            parent is not None
            and self.instance.pk is not None
            and parent.pk in self._self_and_descendants()
        ):
            raise ValidationError("A group cannot be inside itself.")
        return parent


@admin.register(Group)
class GroupAdmin(RealmScopedAdmin):
    form = GroupForm
    list_display = ["__str__", "realm", "parent"]
    list_filter = ["realm"]
    list_select_related = ["realm", "parent"]
    search_fields = ["name"]
    fields = ["realm", "name", "parent", "roles"]
    filter_horizontal = ["roles"]


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


# --- SSO sessions -------------------------------------------------------------------------------


class SessionStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("ended", "Ended")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(ended__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended__isnull=False)
        return queryset


class SessionClientFilter(admin.SimpleListFilter):
    """Sessions per client: those in which the client was issued a refresh token."""

    title = "client"
    parameter_name = "client"

    def lookups(self, request, model_admin):
        clients = apps.get_model(settings.OAUTH2_PROVIDER_APPLICATION_MODEL)._default_manager
        scoped = clients.filter(realm__in=administered_realms(request.user)).select_related("realm")
        realm = request.GET.get("realm__id__exact")
        if realm and _ROW_ID.fullmatch(realm):
            scoped = scoped.filter(realm_id=realm)
        return [(client.pk, f"{client.realm.name} / {client.client_id}") for client in scoped]

    def queryset(self, request, queryset):
        # A value that is no client id (not a number) filters nothing, as a stale link would.
        if not self.value() or not _ROW_ID.fullmatch(self.value()):
            return queryset
        tokens = apps.get_model(settings.OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL)._default_manager
        sessions = tokens.filter(application_id=self.value()).values("session_id")
        return queryset.filter(pk__in=sessions)


@admin.register(UserSession)
class UserSessionAdmin(RecordOnlyAdmin, RealmScopedAdmin):
    """Sessions are started by logins and ended by logouts, or here by revocation, which also
    revokes the tokens they issued. The cookie secret's hash (key_hash) is never shown."""

    list_display = ["user", "realm", "started", "last_seen", "ended", "ip_address"]
    list_filter = ["realm", SessionStatusFilter, SessionClientFilter]
    list_select_related = ["realm", "user"]
    search_fields = ["user__username", "user__email", "ip_address"]
    fields = ["realm", "user", "sid", "started", "last_seen", "ended", "ip_address", "user_agent"]
    readonly_fields = fields
    actions = ["revoke_sessions"]

    def has_revoke_permission(self, request, obj=None):
        opts = self.opts
        allowed = request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        return allowed and self._in_scope(request, obj)

    @admin.action(
        description="Revoke selected sessions (sign out, revoke tokens)", permissions=["revoke"]
    )
    def revoke_sessions(self, request, queryset):
        def perform(sessions):
            count = 0
            for session in sessions.filter(ended__isnull=True):
                before = snapshot(session)
                terminate(session)
                session.refresh_from_db()
                record(
                    request,
                    "ACTION",
                    session,
                    before=before,
                    after={**snapshot(session), "action": "revoke"},
                )
                count += 1
            self.message_user(request, f"{count} session(s) revoked.", messages.SUCCESS)

        return confirm_action(
            self, request, queryset, title="Revoke sessions?", verb="Revoke", perform=perform
        )


# --- Events -------------------------------------------------------------------------------------


@admin.register(Event)
class EventAdmin(RecordOnlyAdmin, RealmScopedAdmin):
    """The audit log: read-only; superusers also see installation-wide events (no realm)."""

    list_display = [
        "created",
        "realm",
        "category",
        "type",
        "username",
        "client_id",
        "resource_type",
        "resource",
        "ip_address",
        "error",
    ]
    list_filter = ["realm", "category", "type", "resource_type", "created"]
    date_hierarchy = "created"
    search_fields = ["username", "client_id", "resource_path", "error", "type"]
    list_select_related = ["realm"]
    fields = [
        "created",
        "realm",
        "category",
        "type",
        "user",
        "username",
        "client_id",
        "ip_address",
        "error",
        "resource_type",
        "resource_path",
        "before",
        "after",
        "details",
    ]
    readonly_fields = fields

    @admin.display(description="resource", ordering="resource_path")
    def resource(self, obj):
        """The changed object by name, as it was recorded; its path when it has none."""
        state = obj.after or obj.before or {}
        for key in ("username", "client_id", "name", "kid"):
            if state.get(key):
                return f"{state[key]} ({obj.resource_path})"
        return obj.resource_path or "—"
