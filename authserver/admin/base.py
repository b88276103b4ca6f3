"""What every page of a realm-owned object shares: always filtered by realm, always checked.

Every list filters and shows the realm. Every picker of a realm-owned object (roles, groups,
scopes, clients, users) offers only the objects of the edited object's realm; where the realm is
not known yet (an add page), ``clean()`` rejects a choice from another realm. Console logins
authenticate against the ``master`` realm (accounts.backends.RealmBackend).

Who sees what: a superuser every realm; any other console user only the realms they administer
(accounts.administrators), and of those only what Django's permissions allow. Another realm's
objects are absent from lists, searches, filters, pickers and autocomplete, and their URLs
answer 404. Every change is an admin event (accounts.console_audit). Who may grant an admin role
or take over an account is accounts.permissions' to say, as for the admin API: a console user's
Django permissions amount there to admin roles in the realms they administer.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import Http404, QueryDict
from django.template.response import TemplateResponse

from accounts import permissions
from accounts.administrators import administered_realms, administers, administers_any
from accounts.console_audit import AuditedAdmin
from accounts.models import Realm
from accounts.realms import for_realm
from authserver.admin.changelist import LookupSafeChangeList

# A row id in a query string or a form's initial values: anything else names no row.
ROW_ID = re.compile(r"[0-9]{1,18}")


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
        is_key = ROW_ID.fullmatch(str(initial))
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

    # --- the grant rule: every change a page posts, whatever it touches ---

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return guarded_view(request, view, request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return guarded_view(request, super().delete_view, request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        return guarded_view(request, super().changelist_view, request, extra_context)

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


def guarded_view(request, view, *args):
    """A console POST, refused (403, nothing written) if it moved an admin role that the console
    user does not hold in anyone's effective roles (accounts.permissions.guarded)."""
    if request.method != "POST":
        return view(*args)
    authority = permissions.of_console_user(request.user)
    try:
        with transaction.atomic(), permissions.guarded(authority, authority.realm_ids):
            return view(*args)
    except permissions.Refused as error:
        # The page's "changed successfully" speaks of a change that was rolled back.
        for _message in messages.get_messages(request):
            pass
        raise PermissionDenied(str(error)) from None


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
