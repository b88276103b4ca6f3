from django.contrib import admin
from django.urls import include, path

from authserver.views import health, jwks, logout, token

urlpatterns = [
    path("healthz", health.alive, name="healthz"),
    path("readyz", health.ready, name="readyz"),
    path("admin/", admin.site.urls),
    path("realms/<str:realm_name>/protocol/openid-connect/certs", jwks.certs, name="jwks"),
    path("realms/<str:realm_name>/protocol/openid-connect/token", token.token, name="token"),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/logout",
        logout.end_session,
        name="end-session",
    ),
    path("realms/<str:realm_name>/", include("accounts.urls")),
]
