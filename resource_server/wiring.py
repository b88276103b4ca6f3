"""The process's issuer, validators and token client, built once from ``RESOURCE_SERVER``.

One of each per process: the issuer's parsed keys and the cached service token are shared by
every request the process serves. A change of the setting (tests) builds them anew. What every
worker must see alike (the sessions ended by logout tokens, their ``jti``) is in the ``shared``
cache (conf.caches).
"""

import functools

from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from resource_server import conf, tls
from resource_server.auth import (
    BearerValidator,
    CertificateSource,
    EndedSessions,
    Introspector,
    Issuer,
    LogoutTokenValidator,
    ProofChecker,
    TokenClient,
)
from resource_server.conf import ServiceConfig


def config() -> ServiceConfig:
    return settings.RESOURCE_SERVER


@functools.cache
def issuer() -> Issuer:
    return Issuer(config().issuer, min_refresh_seconds=config().jwks_min_refresh_seconds)


@functools.cache
def validator() -> BearerValidator:
    current = config()
    introspector = None
    if current.introspect:
        # Django's cache is Redis when REDIS_URL is set: one answer serves every worker.
        introspector = Introspector(
            issuer(),
            client_id=current.client_id,
            client_secret=current.client_secret,
            cache=cache,
            cache_seconds=current.introspection_cache_seconds,
        )
    return BearerValidator(
        issuer(),
        audience=current.audience,
        leeway_seconds=current.leeway_seconds,
        introspector=introspector,
        # DPoP proofs (RFC 9449): each jti once, in Django's cache: Redis with REDIS_URL, so
        # that every worker of the service sees it.
        proofs=ProofChecker(replay_cache=cache),
        ended_sessions=ended_sessions(),
    )


def public_url(request) -> str:
    """The URL the client called, as a DPoP proof names it (RFC 9449 §4.3): the service's
    public origin (RS_PUBLIC_URL, behind a gateway) or the request's own, and its path."""
    origin = config().public_url or f"{request.scheme}://{request.get_host()}"
    return origin + request.path


@functools.cache
def certificate_source() -> CertificateSource:
    """Where a caller's TLS certificate is found, for certificate-bound tokens (RFC 8705)."""
    current = config()
    return CertificateSource(
        header=current.mtls_cert_header, trusted_proxies=current.trusted_proxies
    )


@functools.cache
def ended_sessions() -> EndedSessions:
    return EndedSessions(caches["shared"], remember_seconds=config().logout_remember_seconds)


@functools.cache
def logout_tokens() -> LogoutTokenValidator:
    """Back-Channel Logout 1.0: the logout tokens the issuer sends to this service's client."""
    current = config()
    return LogoutTokenValidator(
        issuer(),
        client_id=current.client_id,
        replay_cache=caches["shared"],
        leeway_seconds=current.leeway_seconds,
    )


@functools.cache
def token_client() -> TokenClient:
    current = config()
    return TokenClient(issuer(), client_id=current.client_id, client_secret=current.client_secret)


@functools.cache
def payments_tls():
    """The TLS context for calls to the payment service (mutual TLS when configured)."""
    current = config()
    return tls.client_context(
        ca=current.payments_ca, cert=current.tls_client_cert, key=current.tls_client_key
    )


def require_configuration(*, needs_client: bool) -> None:
    """ImproperlyConfigured naming every missing variable (called by the WSGI modules)."""
    absent = conf.missing(config(), needs_client=needs_client)
    if absent:
        raise ImproperlyConfigured(
            f"the {config().name} service needs " + ", ".join(absent) + " (see README.md)"
        )


_BUILT = (
    issuer,
    validator,
    certificate_source,
    ended_sessions,
    logout_tokens,
    token_client,
    payments_tls,
)


def reset() -> None:
    for built in _BUILT:
        built.cache_clear()


@receiver(setting_changed, dispatch_uid="resource_server.wiring.reset")
def _setting_changed(setting, **kwargs):
    if setting == "RESOURCE_SERVER":
        reset()
