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


@checks.register(checks.Tags.security)
def check_password_hashers_are_bounded(app_configs, **kwargs):
    """A hasher that cannot bound the cost of the hashes it verifies lets whoever writes a hash
    (an import, the admin API) make every login with a wrong password take minutes."""
    from django.contrib.auth.hashers import get_hashers

    from accounts.hashers import BoundedCostMixin
    from authserver.hashers import SecretSHA256Hasher

    return [
        checks.Error(
            f"The password hasher {type(hasher).__name__} ({hasher.algorithm}) does not bound "
            "the cost of the hashes it verifies.",
            hint="List only accounts.hashers' hashers (or subclasses of BoundedCostMixin) and "
            "authserver.hashers.SecretSHA256Hasher in PASSWORD_HASHERS.",
            id="authserver.E020",
        )
        for hasher in get_hashers()
        if not isinstance(hasher, BoundedCostMixin | SecretSHA256Hasher)
    ]
