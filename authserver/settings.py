"""The only settings module. Everything configurable comes from the environment via env.py."""

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from authserver import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("AUTHSERVER_VAR_DIR") or BASE_DIR / "var")

DEBUG = env.boolean("DJANGO_DEBUG", default=False)

# Keycloak's passwordBlacklist(NAME) policy reads the list NAME from this folder.
PASSWORD_BLACKLISTS_DIR = Path(
    env.string("AUTHSERVER_PASSWORD_BLACKLISTS_DIR") or VAR_DIR / "password-blacklists"
)
AUTHSERVER_URL = (env.string("AUTHSERVER_URL") or "http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(AUTHSERVER_URL)
if _public.scheme not in {"http", "https"} or not _public.hostname:
    raise env.ConfigurationError(
        f"AUTHSERVER_URL must be an absolute http(s) URL, not {AUTHSERVER_URL!r}"
    )
SECURE = _public.scheme == "https"

# In production (https, no debug) the secrets must come from the environment: a value generated
# into a container's var/ would change with every new container.
for _required in ("DJANGO_SECRET_KEY", "AUTHSERVER_KEY_ENCRYPTION_KEY"):
    if SECURE and not DEBUG and not env.secret(_required):
        raise env.ConfigurationError(
            f"{_required} (or {_required}_FILE) is required when AUTHSERVER_URL is https "
            "and DJANGO_DEBUG is off"
        )
SECRET_KEY = env.generated_secret("DJANGO_SECRET_KEY", VAR_DIR / "secret_key")

ALLOWED_HOSTS = [_public.hostname, *env.string_list("AUTHSERVER_EXTRA_HOSTS")]
if DEBUG:
    ALLOWED_HOSTS += ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "accounts.apps.ConsoleAdminConfig",  # django.contrib.admin with the console's own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "django_otp",
    "accounts",
    "authserver",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id, and the duration covers the rest.
    "authserver.observability.middleware.RequestIdMiddleware",
    "authserver.observability.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "authserver.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.realms.RealmMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "authserver.middleware.ContentSecurityPolicyMiddleware",
    "authserver.middleware.RefuseTraceMiddleware",
]

ROOT_URLCONF = "authserver.urls"
WSGI_APPLICATION = "authserver.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Storage -----------------------------------------------------------------------------------
DATABASE_URL = env.string("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'authserver.sqlite3'}"
# Connections are kept for a minute. Django's health check would spend a round trip
# (SELECT 1) at the start of every request that queries; without it, a request that finds its
# connection dead after a database restart fails once (503) and the connection is replaced.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=60,
        conn_health_checks=env.boolean("AUTHSERVER_DB_HEALTH_CHECKS", default=False),
    )
}
# A database that stops answering must cost a request seconds, not a worker (gunicorn's 30 s
# timeout): connecting, waiting for a lock and running one statement are each bounded, and the
# error they raise is a 503 with Retry-After (views/server_error.py). Seconds; 0 lifts a bound
# (a long migration of a large table, say). A server too frozen to enforce its statement timeout
# has its query cut by the client a little later (authserver/query_deadline.py).
AUTHSERVER_DB_STATEMENT_TIMEOUT = env.seconds("AUTHSERVER_DB_STATEMENT_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", env.seconds("AUTHSERVER_DB_CONNECT_TIMEOUT", 3))
    _bounds = (
        f"-c statement_timeout={AUTHSERVER_DB_STATEMENT_TIMEOUT}s "
        f"-c lock_timeout={env.seconds('AUTHSERVER_DB_LOCK_TIMEOUT', 3)}s"
    )
    _options["options"] = f"{_bounds} {_options.get('options', '')}".strip()
    # The token endpoint's and the bearer checks' few statements (accounts/rows.py)
    # are prepared on each connection the fifth time it runs them: PostgreSQL then plans them
    # once instead of on every request (a refresh's SELECT cost 0.19 ms of its CPU to plan, 0.03
    # to run). The ORM's own queries bind their parameters client-side and are never prepared.
    # Off for a pooler that shares server connections between clients and does not track
    # prepared statements (PgBouncer in transaction mode before 1.21).
    AUTHSERVER_DB_PREPARED_STATEMENTS = env.boolean(
        "AUTHSERVER_DB_PREPARED_STATEMENTS", default=True
    )
    if AUTHSERVER_DB_PREPARED_STATEMENTS:
        _options.setdefault("prepare_threshold", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.string("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "authserver",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # Redis is a cache: when it is down, requests go on against the database.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # What every worker must see alike: login limits, a console import awaiting confirmation.
    CACHES["shared"] = dict(CACHES["default"])
    # Sessions live in the database; Redis, shared by every worker, only speeds up reads.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Files under var/, read by every worker of this machine (not by another machine's).
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "shared-cache",
        },
    }
    # Each worker has its own in-process cache: a session read from it would outlive a logout
    # done by another worker, and miss what another worker wrote (a secret shown once). Every
    # read goes to the database instead.
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Rate limits (accounts/ratelimit.py): token buckets in the cache, RATE/BURST ---------------
# The token endpoint, per client IP address and per authenticated confidential client.
AUTHSERVER_RATE_TOKEN = env.rate("AUTHSERVER_RATE_TOKEN", "20/100")
# Login form POSTs: per client IP address and per username (realm pages and console).
AUTHSERVER_RATE_LOGIN = env.rate("AUTHSERVER_RATE_LOGIN", "2/30")
# The proxies whose X-Forwarded-For names the client's address; the same variable tells gunicorn
# whom to trust for X-Forwarded-Proto (deploy/gunicorn.conf.py). "*" trusts every peer.
AUTHSERVER_FORWARDED_ALLOW_IPS = env.string_list("AUTHSERVER_FORWARDED_ALLOW_IPS", ["127.0.0.1"])

# --- Mutual TLS (RFC 8705: protocol/mtls.py, certificates.py, certificate_binding.py) -------
# The CAs (roots and intermediates, PEM) whose client certificates tls_client_auth accepts; by
# default those gunicorn checks client certificates against.
AUTHSERVER_MTLS_CA = env.string("AUTHSERVER_MTLS_CA") or env.string("AUTHSERVER_TLS_CA")
# The header in which a trusted proxy (above) forwards the client's certificate: nginx's
# $ssl_client_escaped_cert, or RFC 9440's Client-Cert. Unset, no header is read.
AUTHSERVER_MTLS_CERT_HEADER = env.string("AUTHSERVER_MTLS_CERT_HEADER")
if AUTHSERVER_MTLS_CERT_HEADER and not re.fullmatch(r"[A-Za-z0-9-]+", AUTHSERVER_MTLS_CERT_HEADER):
    raise env.ConfigurationError(
        "AUTHSERVER_MTLS_CERT_HEADER is a header name of letters, digits and hyphens"
    )
# Client certificates reach the server: gunicorn asks for them, or a proxy forwards them.
AUTHSERVER_MTLS_ENABLED = bool(env.string("AUTHSERVER_TLS_CA") or AUTHSERVER_MTLS_CERT_HEADER)
# Where the endpoints that take client certificates are also served, for discovery's
# mtls_endpoint_aliases (RFC 8705 §5): a host whose TLS asks for a certificate, so that the
# browser-facing one need not. Unset, the endpoints have no alias.
AUTHSERVER_MTLS_URL = env.string("AUTHSERVER_MTLS_URL").rstrip("/")
if AUTHSERVER_MTLS_URL:
    _mtls = urlsplit(AUTHSERVER_MTLS_URL)
    if _mtls.scheme != "https" or not _mtls.hostname or _mtls.query or _mtls.fragment:
        raise env.ConfigurationError(
            f"AUTHSERVER_MTLS_URL must be an https base URL, not {AUTHSERVER_MTLS_URL!r}"
        )
    if not AUTHSERVER_MTLS_ENABLED:
        raise env.ConfigurationError(
            "AUTHSERVER_MTLS_URL needs client certificates: AUTHSERVER_TLS_CA or "
            "AUTHSERVER_MTLS_CERT_HEADER"
        )
    ALLOWED_HOSTS.append(_mtls.hostname)

# Messages stay on the server: a client secret shown once must not travel in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Accounts ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.RealmBackend"]
PASSWORD_HASHERS = [
    "accounts.hashers.OWASPArgon2PasswordHasher",
    "accounts.hashers.BoundedPBKDF2PasswordHasher",
    "accounts.hashers.KeycloakPBKDF2SHA256PasswordHasher",
    "authserver.hashers.SecretSHA256Hasher",
]
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.password_policy.RealmPasswordPolicyValidator"}]
LOGIN_URL = "admin:login"
# Console superusers must log in with a TOTP code as well (manage.py console_totp enrols one).
AUTHSERVER_CONSOLE_REQUIRE_MFA = env.boolean("AUTHSERVER_CONSOLE_REQUIRE_MFA", default=False)
OTP_TOTP_ISSUER = "authserver console"
# A console session ends after this many seconds without a request, and this many after the
# login whatever happens (accounts/console_sessions.py); no session outlives the second.
AUTHSERVER_CONSOLE_SESSION_IDLE = env.integer("AUTHSERVER_CONSOLE_SESSION_IDLE", 30 * 60)
AUTHSERVER_CONSOLE_SESSION_MAX = env.integer("AUTHSERVER_CONSOLE_SESSION_MAX", 8 * 60 * 60)
if min(AUTHSERVER_CONSOLE_SESSION_IDLE, AUTHSERVER_CONSOLE_SESSION_MAX) < 60:
    raise env.ConfigurationError(
        "AUTHSERVER_CONSOLE_SESSION_IDLE and AUTHSERVER_CONSOLE_SESSION_MAX: 60 seconds at least"
    )
SESSION_COOKIE_AGE = AUTHSERVER_CONSOLE_SESSION_MAX
# A username is unique within its realm, not across the installation; the realm-aware backend
# above is what authenticates, so Django's warning about a non-unique USERNAME_FIELD is expected.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# --- OAuth 2.0 (django-oauth-toolkit) ------------------------------------------------------------
OAUTH2_PROVIDER_APPLICATION_MODEL = "authserver.Client"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "authserver.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "authserver.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "authserver.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "authserver.Grant"
OAUTH2_PROVIDER = {
    "OAUTH2_SERVER_CLASS": "authserver.protocol.server.Server",
    "OIDC_SERVER_CLASS": "authserver.protocol.server.Server",
    "OAUTH2_VALIDATOR_CLASS": "authserver.protocol.validator.RealmValidator",
    "OAUTH2_BACKEND_CLASS": "authserver.protocol.backend.RealmOAuthLibCore",
    "OIDC_ENABLED": True,
    # Generated client secrets are long and random: a fast hash is as safe as a slow one.
    "CLIENT_SECRET_HASHER": "authserver_sha256",
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Only a SHA-256 checksum of each access and refresh token is stored (RFC 9700 §4.14).
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    # Web origins (CORS) of local development apps are http.
    "ALLOWED_SCHEMES": ["http", "https"],
}

# --- Signing keys -------------------------------------------------------------------------------
# Encrypts the private halves of the realms' signing keys at rest.
AUTHSERVER_KEY_ENCRYPTION_KEY = env.generated_secret(
    "AUTHSERVER_KEY_ENCRYPTION_KEY", VAR_DIR / "key_encryption_key"
)
# Previous key-encryption keys, still read (never written) while `manage.py rotate_kek`
# re-encrypts the stored keys under the one above (docs/deployment.md); comma-separated.
AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS = [
    value.strip()
    for value in env.secret("AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS").split(",")
    if value.strip()
]

# --- HTTP hardening ---------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A __Host- cookie is Secure, Path=/ and host-only: no sibling subdomain and no plain-http
    # page can set one of that name (cookie tossing). accounts/sessions.py names the SSO cookie
    # the same way.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.boolean("AUTHSERVER_SSL_REDIRECT", default=False)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

# --- Static files, i18n -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Mail of a realm without an smtpServer (password reset, e-mail verification): printed on the
# console unless configured (django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST, ...).
EMAIL_BACKEND = env.string(
    "AUTHSERVER_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.string("AUTHSERVER_EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("AUTHSERVER_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env.string("AUTHSERVER_EMAIL_FROM", "authserver@localhost")
EMAIL_TIMEOUT = 10

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logs and metrics (authserver/observability) --------------------------------------------
# plain: one line of text per record; json: one JSON object per line (time, level, logger,
# message, request_id, realm, client, user_id, event).
AUTHSERVER_LOG_FORMAT = env.choice("AUTHSERVER_LOG_FORMAT", ("plain", "json"), "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request": {"()": "authserver.observability.logs.RequestContextFilter"},
        "redis_cache_errors": {
            "()": "authserver.observability.logs.CountRedisErrors",
            "source": "cache",
        },
        "redis_rate_limit_errors": {
            "()": "authserver.observability.logs.CountRedisErrors",
            "source": "rate_limits",
        },
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "authserver.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": AUTHSERVER_LOG_FORMAT,
            "filters": ["request"],
        }
    },
    "root": {"handlers": ["console"], "level": env.string("AUTHSERVER_LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Their DEBUG lines carry codes, state, tokens and Basic credentials: never below INFO,
        # whatever AUTHSERVER_LOG_LEVEL says.
        "oauthlib": {"level": "INFO"},
        "oauth2_provider": {"level": "INFO"},
        "django_redis.cache": {"filters": ["redis_cache_errors"]},
        "accounts.ratelimit": {"filters": ["redis_rate_limit_errors"]},
    },
}
# /metrics answers only these addresses (the direct peer, never X-Forwarded-For): Prometheus's,
# as networks ("10.0.0.0/8"). "off": no /metrics at all.
AUTHSERVER_METRICS_ALLOW_IPS = env.string_list(
    "AUTHSERVER_METRICS_ALLOW_IPS", ["127.0.0.1/32", "::1/128"]
)
for _network in AUTHSERVER_METRICS_ALLOW_IPS:
    try:
        if _network.lower() != "off":
            ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise env.ConfigurationError(
            f"AUTHSERVER_METRICS_ALLOW_IPS: {_network!r} is not an address or network"
        ) from None
