"""Realm roles and client roles."""

from django.contrib import admin

from accounts.models import Role
from authserver.admin.base import RealmScopedAdmin


@admin.register(Role)
class RoleAdmin(RealmScopedAdmin):
    list_display = ["name", "client", "realm", "description"]
    list_filter = ["realm", ("client", admin.EmptyFieldListFilter)]
    list_select_related = ["realm", "client"]
    search_fields = ["name", "description", "client__client_id"]
    fields = ["realm", "client", "name", "description"]
