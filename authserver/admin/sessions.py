"""SSO sessions: seen by realm and client, ended here by revocation."""

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages

from accounts.administrators import administered_realms
from accounts.console_audit import record, snapshot
from accounts.models import UserSession
from accounts.sessions import terminate
from authserver.admin.base import ROW_ID, RealmScopedAdmin, RecordOnlyAdmin, confirm_action


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
        if realm and ROW_ID.fullmatch(realm):
            scoped = scoped.filter(realm_id=realm)
        return [(client.pk, f"{client.realm.name} / {client.client_id}") for client in scoped]

    def queryset(self, request, queryset):
        # A value that is no client id (not a number) filters nothing, as a stale link would.
        if not self.value() or not ROW_ID.fullmatch(self.value()):
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
