"""What both services read from the environment, in one place, for their settings modules.

``RESOURCE_SERVER`` (a :class:`ServiceConfig`) holds everything of ours; the rest are Django's
own settings, built the same way for both services.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from resource_server import env

BASE_DIR = Path(__file__).resolve().parent.parent
_HEADER = re.compile(r"[A-Za-z0-9-]+")


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    issuer: str
    audience: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    payments_url: str = ""
    payments_audience: str = "payments"
    payments_ca: str = ""
    tls_client_cert: str = ""
    tls_client_key: str = field(default="", repr=False)
    leeway_seconds: float = 30
    jwks_min_refresh_seconds: float = 10
    introspect: bool = False
    introspection_cache_seconds: float = 5
    rate_replenish: float = 10
    rate_burst: int = 20
    max_body_bytes: int = 16 * 1024
    admin_allowlist: tuple = ()
    cors_origins: tuple[str, ...] = ()
    redis_url: str = ""
    # Where clients call the service (scheme://host[:port]), which their DPoP proofs name;
    # empty: the request's own scheme and Host.
    public_url: str = ""
    # Where a caller's TLS certificate is forwarded by a proxy, believed from these only.
    mtls_cert_header: str = ""
    trusted_proxies: tuple = ()
    # How long a session ended by a logout token stays refused: at least the longest lifetime
    # of an access token of the realm.
    logout_remember_seconds: float = 86400


def load(name: str, *, default_audience: str) -> ServiceConfig:
    """The service's configuration from ``RS_*`` and friends (README, "Resource servers")."""
    config = ServiceConfig(
        name=name,
        issuer=env.url("RS_ISSUER"),
        audience=env.string("RS_AUDIENCE") or default_audience,
        client_id=env.string("RS_CLIENT_ID"),
        client_secret=env.secret("RS_CLIENT_SECRET"),
        payments_url=env.url("PAYMENTS_URL"),
        payments_audience=env.string("PAYMENTS_AUDIENCE") or "payments",
        payments_ca=env.string("RS_PAYMENTS_CA"),
        tls_client_cert=env.string("RS_TLS_CLIENT_CERT"),
        tls_client_key=env.string("RS_TLS_CLIENT_KEY"),
        leeway_seconds=env.number("RS_CLOCK_SKEW_SECONDS", 30),
        jwks_min_refresh_seconds=env.number("RS_JWKS_MIN_REFRESH_SECONDS", 10),
        introspect=env.boolean("RS_INTROSPECT"),
        introspection_cache_seconds=env.number("RS_INTROSPECTION_CACHE_SECONDS", 5),
        rate_replenish=env.number("RS_RATE_REPLENISH", 10),
        rate_burst=env.integer("RS_RATE_BURST", 20, minimum=1),
        max_body_bytes=env.integer("RS_MAX_BODY_BYTES", 16 * 1024, minimum=1),
        # Unset: the admin routes answer only on the machine itself. Set but empty: nowhere.
        admin_allowlist=env.networks("RS_ADMIN_ALLOWLIST", "127.0.0.1, ::1"),
        cors_origins=tuple(_origin(each) for each in env.string_list("RS_CORS_ORIGINS")),
        redis_url=env.string("REDIS_URL"),
        public_url=_public_url(env.string("RS_PUBLIC_URL")),
        mtls_cert_header=env.string("RS_MTLS_CERT_HEADER"),
        trusted_proxies=env.networks("RS_TRUSTED_PROXIES"),
        logout_remember_seconds=env.number("RS_LOGOUT_REMEMBER_SECONDS", 86400, minimum=1),
    )
    if config.introspect and not (config.client_id and config.client_secret):
        raise env.ConfigurationError("RS_INTROSPECT needs RS_CLIENT_ID and RS_CLIENT_SECRET")
    if config.mtls_cert_header and not _HEADER.fullmatch(config.mtls_cert_header):
        raise env.ConfigurationError("RS_MTLS_CERT_HEADER is a header name (letters, digits, -)")
    if config.mtls_cert_header and not config.trusted_proxies:
        raise env.ConfigurationError(
            "RS_MTLS_CERT_HEADER needs RS_TRUSTED_PROXIES: the proxies it is believed from"
        )
    return config


def missing(config: ServiceConfig, *, needs_client: bool) -> list[str]:
    """What a running service lacks (checked when the WSGI application loads, so that
    management commands such as makemigrations work without it)."""
    absent = [] if config.issuer else ["RS_ISSUER"]
    if needs_client:
        absent += [name for name, value in _client_settings(config) if not value]
    return absent


def _var_dir() -> Path:
    var = Path(env.string("RS_VAR_DIR") or BASE_DIR / "var")
    var.mkdir(parents=True, exist_ok=True)
    return var


def databases(name: str) -> dict:
    """``RS_DATABASE_URL``, else SQLite at ``var/<service>.sqlite3``: each service its own."""
    configured = env.string("RS_DATABASE_URL")
    if configured:
        return {"default": dj_database_url.parse(configured, conn_max_age=60)}
    var = _var_dir()
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(var / f"{name}.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }


def caches(name: str) -> dict:
    """Redis (``REDIS_URL``) when set: the rate limiter's buckets, the DPoP proofs' replay cache
    and the sessions ended by logout tokens live there, shared by every worker of every machine.
    Else an in-process cache (and no rate limiting), and files under ``RS_VAR_DIR`` for what
    every worker of this machine must see alike (``shared``: the ended sessions, the logout
    tokens' ``jti``)."""
    url = env.string("REDIS_URL")
    if not url:
        return {
            # Room for the DPoP proofs' jti (each kept about a minute) as for the rest.
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            },
            "shared": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(_var_dir() / f"{name}-shared-cache"),
                # Django culls a third of the entries past MAX_ENTRIES, at random: an ended
                # session must not be forgotten that way. Entries are written by logouts only.
                "OPTIONS": {"MAX_ENTRIES": 100_000},
            },
        }
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    found = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"rs-{name}",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # redis-py retries a failed connection for seconds by default: while Redis is
                # down, that would be added to every request.
                "CONNECTION_POOL_KWARGS": {"retry": Retry(NoBackoff(), 0)},
            },
        }
    }
    found["shared"] = dict(found["default"])
    return found


def logging_config() -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": env.string("RS_LOG_LEVEL") or "INFO"},
    }


def _client_settings(config: ServiceConfig):
    return [
        ("RS_CLIENT_ID", config.client_id),
        ("RS_CLIENT_SECRET", config.client_secret),
        ("PAYMENTS_URL", config.payments_url),
    ]


def _public_url(value: str) -> str:
    return _origin(value, "RS_PUBLIC_URL") if value else ""


def _origin(value: str, variable: str = "RS_CORS_ORIGINS") -> str:
    """RFC 6454 §6.1: scheme://host[:port], no path; compared exactly with the Origin header."""
    parts = urlsplit(value.rstrip("/"))
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
        raise env.ConfigurationError(f"{variable}: {value!r} is not an origin")
    return f"{parts.scheme}://{parts.netloc}".lower()
