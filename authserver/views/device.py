"""The device authorization grant's two HTTP faces (RFC 8628): the device's request for codes,
POST {issuer}/protocol/openid-connect/auth/device (§3.1), and the page where the signed-in user
types the user code and allows or denies, {issuer}/device (§3.3). protocol/device.py decides."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts import ratelimit, sessions
from accounts.addresses import client_ip
from authserver.protocol import consent, device
from authserver.protocol.errors import OAuthError
from authserver.views import responses
from authserver.views.forms import from_client

# Wrong user codes a browser may type: ten at once, then one every ten seconds (§5.1).
USER_CODE_RATE = (0.1, 10)


@csrf_exempt
def authorize_device(request):
    return from_client(request, lambda client, form: _started(request, client, form))


def _started(request, client, form):
    started = device.start(request.realm, client, form.get("scope"))
    return JsonResponse(started.body, headers=responses.NO_STORE)


@never_cache
def verify(request):
    realm = request.realm
    session = sessions.current(request, realm)
    typed = (request.POST if request.method == "POST" else request.GET).get("user_code", "")
    if session is None:
        back = f"{request.path}?{urlencode({'user_code': typed[:64]})}" if typed else request.path
        return redirect(f"/realms/{realm.name}/login?{urlencode({'next': back})}")
    if request.method != "POST":
        return _page(request, "authserver/device.html", user_code=typed[:64])
    wait = ratelimit.limit("device-user-code", f"{realm.pk}:{client_ip(request)}", USER_CODE_RATE)
    if wait is not None:
        response = _page(request, "authserver/device.html", error="Too many attempts.", status=429)
        response["Retry-After"] = str(wait)
        return response
    found = device.pending(realm, typed)
    if found is None:
        return _page(
            request,
            "authserver/device.html",
            user_code=typed[:64],
            error="That code is unknown or has expired. Check the code your device shows.",
            status=400,
        )
    decision = request.POST.get("decision")
    if decision not in ("allow", "deny"):
        return _page(
            request,
            "authserver/device_consent.html",
            user=session.user,
            client_name=found.client.name or found.client.client_id,
            scopes=consent.describe(realm, found.scope.split()),
            user_code=typed[:64],
        )
    try:
        device.decide(found, session.user, session, allow=decision == "allow")
    except OAuthError as error:
        return _page(request, "authserver/device.html", error=error.description, status=400)
    return _page(request, "authserver/device_done.html", allowed=decision == "allow")


def _page(request, template: str, *, status: int = 200, **context):
    context = {"realm": request.realm, **context}
    return responses.no_store(render(request, template, context, status=status))
