"""GET/POST {issuer}/protocol/openid-connect/logout: RP-initiated logout."""

from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import sessions
from authserver.protocol import logout as protocol
from authserver.protocol.errors import InvalidRequest
from authserver.views.cors import cors

_PARAMS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales")


def _params(request) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    return {name: source.get(name, "") for name in _PARAMS}


def _csrf_failure(request):
    """The confirmation form is ours and CSRF-protected; a relying party's own POST (allowed by
    the spec) carries no token and only ever leads to that form."""
    return CsrfViewMiddleware(lambda _: None).process_view(request, None, (), {})


@csrf_exempt
@cors(methods=("GET", "POST"), credentials=True)
@never_cache
@require_http_methods(["GET", "POST"])
def end_session(request):
    realm = request.realm
    try:
        logout = protocol.parse(realm, _params(request))
    except InvalidRequest as error:
        # Never redirect on a bad request: the target itself may be what is wrong.
        return render(
            request,
            "authserver/logout_error.html",
            {"realm": realm, "error": error.error, "description": error.description},
            status=400,
        )
    request.cors_client = logout.client
    session = sessions.current(request, realm)
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if confirmed and (failure := _csrf_failure(request)) is not None:
        return failure
    if session is not None and not confirmed and not logout.matches(session):
        return render(
            request,
            "authserver/logout_confirm.html",
            {"realm": realm, "params": _params(request), "client": logout.client},
        )
    target = logout.redirect_target()
    response = (
        redirect(target)
        if target
        else render(request, "authserver/logged_out.html", {"realm": realm})
    )
    sessions.end(request, response, realm)
    return response
