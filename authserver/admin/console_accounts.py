"""Console accounts' Django groups and second-factor devices: the superusers' alone.

A console user's Django permissions are what they may do in the realms they administer
(accounts.permissions reads them as admin roles), so whoever edits a group's permissions edits
the rights of every member, their own included; and a device decides who passes the second
factor. As on a console user's own page (users.py), only a superuser hands these out.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp import admin as totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice


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


for _model, _admin in ((Group, GroupAdmin), (TOTPDevice, totp_admin.TOTPDeviceAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(_admin.__name__, (SuperusersOnly, _admin), {}))
