from django.contrib import admin
from django.urls import include, path

from authserver.views import health

urlpatterns = [
    path("healthz", health.alive, name="healthz"),
    path("readyz", health.ready, name="readyz"),
    path("admin/", admin.site.urls),
    path("realms/<str:realm_name>/", include("accounts.urls")),
]
