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


@checks.register(checks.Tags.security)
def check_mutual_tls(app_configs, **kwargs):
    """The client CAs are read at the first tls_client_auth request: an unusable file would
    only then refuse every such client. A certificate header believed from any peer would let
    anyone claim any certificate."""
    from authserver.protocol import mtls

    errors = []
    path = settings.AUTHSERVER_MTLS_CA
    if path and mtls.trust_store(path) is None:
        errors.append(
            checks.Error(
                f"AUTHSERVER_MTLS_CA: {path} is not a readable PEM file of CA certificates.",
                hint="Point AUTHSERVER_MTLS_CA (or AUTHSERVER_TLS_CA) at the CAs that issue "
                "the clients' certificates.",
                id="authserver.E030",
            )
        )
    if settings.AUTHSERVER_MTLS_CERT_HEADER and "*" in settings.AUTHSERVER_FORWARDED_ALLOW_IPS:
        errors.append(
            checks.Error(
                "AUTHSERVER_MTLS_CERT_HEADER is believed from every peer "
                "(AUTHSERVER_FORWARDED_ALLOW_IPS=*): any client could name any certificate.",
                hint="List the proxies' addresses in AUTHSERVER_FORWARDED_ALLOW_IPS.",
                id="authserver.E031",
            )
        )
    return errors
