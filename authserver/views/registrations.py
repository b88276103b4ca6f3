"""GET {issuer}/protocol/openid-connect/registrations: Keycloak's registration entry point,
which keycloak-js's ``register()`` opens. It takes an authorization request's parameters: the
browser goes to the realm's registration page and, once registered, on to the authorization
endpoint with the same request, which checks it as any other. Without registration in the
realm it is the authorization request itself (the login page)."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.redirects import MAX_NEXT_LENGTH


@never_cache
@require_GET
def registrations(request):
    realm = request.realm
    authorization = f"/realms/{realm.name}/protocol/openid-connect/auth"
    query = request.GET.urlencode()
    if query:
        authorization += f"?{query}"
    if not realm.registration_allowed or len(authorization) > MAX_NEXT_LENGTH:
        return redirect(authorization)
    return redirect(
        f"/realms/{realm.name}/login/registrations?{urlencode({'next': authorization})}"
    )
