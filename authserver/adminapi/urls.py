"""The admin API's URLs, from the route table (mounted under /admin/ before the console)."""

from django.urls import path, re_path

from authserver.adminapi import http, openapi
from authserver.adminapi.routes import ROUTES

urlpatterns = [
    path("openapi.json", openapi.serve, name="admin-openapi"),
    *(path(route.path, http.view(route), name=route.name) for route in ROUTES),
    # Keycloak (JAX-RS) takes a path with a trailing slash as the same resource, and its admin
    # client sends some so (POST .../users/).
    *(path(f"{route.path}/", http.view(route)) for route in ROUTES),
    # Any other path of the API is a JSON 404, not a console page (a login form, a CSRF page).
    re_path(r"^realms(?:/|$)", http.unknown_path, name="admin-unknown"),
]
