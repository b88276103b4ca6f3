"""Realm roles and client roles; a composite role (Keycloak's) contains the roles it lists."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.models import Role
from authserver.admin.base import RealmScopedAdmin, RealmScopedForm


class RoleForm(RealmScopedForm):
    class Meta:
        model = Role
        fields = ["realm", "client", "name", "description", "composites"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("composites")
        if field is not None:
            field.queryset = field.queryset.select_related("client")
            field.label_from_instance = _role_label
            if self.instance.pk is not None:
                field.queryset = field.queryset.exclude(pk=self.instance.pk)

    def clean_composites(self):
        chosen = self.cleaned_data.get("composites")
        if chosen is not None and self.instance.pk in {role.pk for role in chosen}:
            raise ValidationError("A role cannot contain itself.")
        return chosen


def _role_label(role: Role) -> str:
    return f"{role.client.client_id} / {role.name}" if role.client_id else role.name


@admin.register(Role)
class RoleAdmin(RealmScopedAdmin):
    form = RoleForm
    list_display = ["name", "client", "realm", "description"]
    list_filter = ["realm", ("client", admin.EmptyFieldListFilter)]
    list_select_related = ["realm", "client"]
    search_fields = ["name", "description", "client__client_id"]
    fields = ["realm", "client", "name", "description", "composites"]
    filter_horizontal = ["composites"]
