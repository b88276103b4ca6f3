"""The admin console for realms and what they own, always filtered by realm.

Every list filters and shows the realm. Every picker of a realm-owned object (roles, groups,
scopes, clients, users) offers only the objects of the edited object's realm; where the realm is
not known yet (an add page), ``clean()`` rejects a choice from another realm. Console logins
authenticate against the ``master`` realm (accounts.backends.RealmBackend).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model
from django.http import QueryDict

from accounts import password_policy
from accounts.models import MASTER_REALM, ClientScope, Group, Realm, Role, User, UserSession
from accounts.realms import for_realm

admin.site.site_header = "authserver console"
admin.site.site_title = "authserver console"
admin.site.index_title = "Realms, users and clients"
admin.site.site_url = None  # There is no site at "/": hide the "View site" link.


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
        return Realm.objects.filter(pk=initial).first() if str(initial).isdigit() else None

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


class RealmScopedAdmin(admin.ModelAdmin):
    """Lists filtered and labelled by realm; the realm of an existing object is read-only."""

    form = RealmScopedForm
    list_select_related = ["realm"]

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
class RealmAdmin(admin.ModelAdmin):
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

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name == MASTER_REALM:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="issuer")
    def issuer(self, obj):
        return obj.issuer if obj is not None and obj.pk else ""


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
    list_filter = ["realm", "is_active", "password_temporary", "is_staff", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]
    filter_horizontal = ["roles", "realm_groups", "groups", "user_permissions"]
    readonly_fields = [
        "password_status",
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
        ("Status", {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    console_fieldset = (
        "Console access (master realm)",
        {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]},
    )

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
            fields = [*fields, "is_staff", "is_superuser", "groups", "user_permissions"]
        return fields

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


class ClientScopeForm(RealmScopedForm):
    class Meta:
        model = ClientScope
        fields = ["realm", "name", "description", "protocol", "protocol_mappers"]

    def clean_protocol_mappers(self):
        mappers = self.cleaned_data.get("protocol_mappers")
        if mappers is None:
            return []
        if not isinstance(mappers, list) or not all(isinstance(m, dict) for m in mappers):
            raise ValidationError(
                "Protocol mappers are a JSON list of objects, as in a realm file."
            )
        return mappers


@admin.register(ClientScope)
class ClientScopeAdmin(RealmScopedAdmin):
    form = ClientScopeForm
    list_display = ["name", "realm", "protocol", "description"]
    list_filter = ["realm", "protocol"]
    search_fields = ["name", "description"]
    fields = ["realm", "name", "description", "protocol", "protocol_mappers"]


# --- SSO sessions -------------------------------------------------------------------------------


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Read-only: sessions are started and ended by logins and logouts. The cookie secret's
    hash (key_hash) is never shown."""

    list_display = ["user", "realm", "started", "last_seen", "ended", "ip_address"]
    list_filter = ["realm", ("ended", admin.EmptyFieldListFilter)]
    list_select_related = ["realm", "user"]
    search_fields = ["user__username", "user__email", "ip_address"]
    fields = ["realm", "user", "sid", "started", "last_seen", "ended", "ip_address", "user_agent"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
