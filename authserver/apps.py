from django.apps import AppConfig


class AuthserverConfig(AppConfig):
    name = "authserver"
    verbose_name = "OAuth 2.0 / OpenID Connect"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from authserver import checks, signals  # noqa: F401  (registers checks and receivers)
