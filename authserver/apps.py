from django.apps import AppConfig


class AuthserverConfig(AppConfig):
    name = "authserver"
    verbose_name = "OAuth 2.0 / OpenID Connect"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Checks and receivers; and the caches every process keeps (accounts/process_cache.py),
        # watching their models from the start, so that a change saved by a management command
        # or a shell is announced to the serving processes as one saved in the console is.
        from authserver import checks, query_deadline, signals  # noqa: F401
        from authserver.observability import context, receivers  # noqa: F401
        from authserver.protocol import directory, discovery  # noqa: F401
