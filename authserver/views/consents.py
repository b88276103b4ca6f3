"""GET/POST /realms/NAME/account/consents: the applications a user has let in, and revoking one.

Linked from the realm's account page (which lives in ``accounts`` and cannot import this app).
"""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import sessions
from authserver.protocol import consent


@never_cache
@require_http_methods(["GET", "POST"])
def consents(request):
    realm = request.realm
    session = sessions.current(request, realm)
    if session is None:
        return redirect(f"/realms/{realm.name}/login?{urlencode({'next': request.path})}")
    user = session.user
    if request.method == "POST":
        consent.revoke(user, request.POST.get("client_id", ""))
        return redirect(request.path)
    granted = list(consent.granted_by(user))
    for each in granted:
        each.described = consent.describe(realm, each.scope_set)
    return render(
        request,
        "authserver/consents.html",
        {"realm": realm, "user": user, "consents": granted, "section": "applications"},
    )
