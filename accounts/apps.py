from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Realms and users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The built-in scope creation; the realm cache's receivers, connected in every
        # process (accounts/process_cache.py: a change is announced to the others); the start
        # of a console session.
        from accounts import console_sessions, realms, signals  # noqa: F401


class ConsoleAdminConfig(admin_apps.AdminConfig):
    """Django's admin, served by the console's site (realm-aware login, optional TOTP)."""

    default = False
    default_site = "accounts.console.ConsoleSite"
