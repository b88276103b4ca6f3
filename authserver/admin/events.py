"""The audit log, read-only."""

from django.contrib import admin

from accounts.models import Event
from authserver.admin.base import RealmScopedAdmin, RecordOnlyAdmin


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
