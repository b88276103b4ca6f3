"""Console accounts' Django groups and second-factor devices: the superusers' alone.

A console user's Django permissions are what they may do in the realms they administer
(accounts.permissions reads them as admin roles), so whoever edits a group's permissions edits
the rights of every member, their own included; and a device decides who passes the second
factor. As on a console user's own page (users.py), only a superuser hands these out.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group

from accounts.models import MASTER_REALM, ConsoleTOTPDevice


class SuperusersOnly:
    """Put before the admin class it limits."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class ConsoleTOTPDeviceAdmin(admin.ModelAdmin):
    """Console accounts' authenticators: seen, renamed, turned off or removed here; made with
    ``manage.py console_totp USERNAME``, which shows the key once (it is sealed, and no page
    shows it)."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    readonly_fields = ["user", "created_at", "last_used_at", "throttling_failure_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__realm__name=MASTER_REALM)

    def has_add_permission(self, request):
        return False


if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, type("GroupAdmin", (SuperusersOnly, GroupAdmin), {}))
admin.site.register(
    ConsoleTOTPDevice, type("ConsoleTOTPDeviceAdmin", (SuperusersOnly, ConsoleTOTPDeviceAdmin), {})
)
