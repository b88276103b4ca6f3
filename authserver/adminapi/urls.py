"""The admin API's URLs, from the route table (mounted under /admin/ before the console)."""

from django.urls import path

from authserver.adminapi import http, openapi
from authserver.adminapi.routes import ROUTES

urlpatterns = [
    path("openapi.json", openapi.serve, name="admin-openapi"),
    *(path(route.path, http.view(route), name=route.name) for route in ROUTES),
]
