"""System checks for configuration that would otherwise fail at the first request."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_public_url(app_configs, **kwargs):
    errors = []
    if not settings.SECURE and not settings.DEBUG:
        errors.append(
            checks.Warning(
                "AUTHSERVER_URL is not https: tokens and passwords travel in the clear.",
                hint="Serve behind TLS and set AUTHSERVER_URL=https://...",
                id="authserver.W001",
            )
        )
    return errors
