"""Views guarded by each authorization decorator, for the middleware and decorator tests."""

from django.urls import path

from resource_server import logout_views, responses
from resource_server.authorization import (
    owner_or_role,
    public,
    require_client_role,
    require_role,
    require_scope,
)
from resource_server.views import by_method, health

OWNERS = {"1": "a3c70e94-b2c7-4444-89e6-46fe23aad6a5", "2": "someone-else"}


def _who(request):
    principal = request.principal
    return responses.json(
        {"sub": principal.sub, "client": principal.client, "scopes": sorted(principal.scopes)}
    )


@public
def anyone(request):
    return responses.json({"principal": request.principal.sub if request.principal else None})


@require_scope("orders:read")
def read(request):
    return _who(request)


@require_scope("orders:read", "orders:write")
def write(request):
    return _who(request)


@require_role("admin")
def admin(request):
    return _who(request)


@require_client_role("web", "viewer")
def viewer(request):
    return _who(request)


@require_scope("orders:read")
@owner_or_role(lambda request, thing_id: OWNERS.get(thing_id), role="admin")
def thing(request, thing_id):
    return responses.json({"id": thing_id})


urlpatterns = [
    path("api/public/health", health),
    path("backchannel-logout", logout_views.backchannel_logout),
    path("api/public/anyone", anyone),
    path("api/who", _who),
    path("api/read", read),
    path("api/write", by_method(POST=write)),
    path("api/admin/things", admin),
    path("api/viewer", viewer),
    path("api/things/<str:thing_id>", thing),
]
