"""The pages keycloak-js frames inside the application, at Keycloak's paths under
``{issuer}/protocol/openid-connect/``.

``3p-cookies/step1.html`` and ``step2.html`` tell the application whether this browser sends
our cookies inside its frame. ``login-status-iframe.html`` is OIDC Session Management 1.0's
OP iframe (§3.3): the application posts ``"<client_id> <session_state>"`` and is told
``unchanged``, ``changed`` or ``error``; ``login-status-iframe.html/init`` first confirms that
the asking origin is one of that client's web origins.

Only the realm's registered web origins may frame these pages (``frame-ancestors``), never any
site; the scripts are our static files, nothing inline.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from accounts import sessions
from authserver.protocol import origins

_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; "
    "object-src 'none'; form-action 'none'; frame-ancestors {ancestors}"
)


def _framed_by_web_origins(request, template: str, context: dict) -> HttpResponse:
    response = render(request, template, {"realm": request.realm, **context})
    allowed = sorted(origins.of_realm(request.realm))
    if origins.ANY in allowed:
        allowed = [origins.ANY]
    # X-Frame-Options cannot name origins; CSP frame-ancestors can, and takes precedence.
    response["Content-Security-Policy"] = _POLICY.format(
        ancestors=" ".join(allowed) if allowed else "'none'"
    )
    return response


@xframe_options_exempt
@never_cache
@require_safe
def third_party_cookies_step1(request):
    return _framed_by_web_origins(request, "authserver/session_frames/3p_cookies_step1.html", {})


@xframe_options_exempt
@never_cache
@require_safe
def third_party_cookies_step2(request):
    return _framed_by_web_origins(request, "authserver/session_frames/3p_cookies_step2.html", {})


@xframe_options_exempt
@never_cache
@require_safe
def login_status_iframe(request):
    context = {"cookie_name": sessions.state_cookie_name(request.realm)}
    return _framed_by_web_origins(
        request, "authserver/session_frames/login_status_iframe.html", context
    )


@never_cache
@require_safe
def login_status_iframe_init(request):
    """204 when ``origin`` is a web origin of the enabled client ``client_id``, 403 otherwise."""
    client = origins.named_client(request.realm, request.GET.get("client_id"))
    if client is None or not origins.client_allows(client, request.GET.get("origin")):
        return HttpResponse(status=403)
    return HttpResponse(status=204)
