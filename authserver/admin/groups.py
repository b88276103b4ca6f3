"""Groups: nested, carrying role mappings that their members inherit."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.models import Group
from accounts.realms import for_realm
from authserver.admin.base import RealmScopedAdmin, RealmScopedForm


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
