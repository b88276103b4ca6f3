"""The Django settings both services share; each service's settings module adds its own app,
URLs and audience. Everything configurable comes from the environment through conf and env."""

import secrets

from resource_server import env

# The services sign nothing (no sessions, no cookies, no CSRF): a per-process key will do.
SECRET_KEY = env.secret("RS_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = env.boolean("RS_DEBUG", default=False)
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", *env.string_list("RS_ALLOWED_HOSTS")]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "resource_server.edge.CorsMiddleware",
    "resource_server.edge.BodySizeLimitMiddleware",
    "resource_server.edge.AdminAllowlistMiddleware",
    "resource_server.authentication.BearerAuthenticationMiddleware",
    "resource_server.edge.RateLimitMiddleware",
]
TEMPLATES: list = []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# APPEND_SLASH would answer an API client with a redirect; CommonMiddleware is not installed.
APPEND_SLASH = False
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
