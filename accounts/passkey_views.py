"""Passkey pages: adding one in the account console, and using one as the second factor of a
login. They need JavaScript (the browser's WebAuthn API, accounts/static/accounts/passkeys.js);
every other page works without. HTTP only."""

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import audit, login_steps, passkeys, ratelimit, step_views
from accounts.account_views import signed_in


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def add_passkey(request):
    realm, user = request.realm, request.sso.user
    problem = None
    if request.method == "POST":
        name = (request.POST.get("name") or "Passkey").strip()[:64] or "Passkey"
        added = passkeys.register(request, user, request.POST.get("credential", ""), name=name)
        if added is not None:
            audit.user_event(
                "UPDATE_CREDENTIAL",
                realm=realm,
                request=request,
                user=user,
                details={"credential_type": "webauthn", "name": name},
            )
            return redirect("accounts:account-signing-in", realm_name=realm.name)
        problem = "The passkey could not be added. Try again."
    return render(
        request,
        "accounts/account/add_passkey.html",
        {
            "realm": realm,
            "user": user,
            "session": request.sso,
            "section": "signing-in",
            "options": passkeys.registration_options(request, user),
            "problem": problem,
        },
        status=400 if problem else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("login-otp", per_username=False)
def login_passkey(request):
    """The second factor with a passkey of the user's."""
    realm = request.realm
    pending, elsewhere = step_views.pending_or_login(request)
    if elsewhere:
        return elsewhere
    user = pending.user
    problem = None
    if request.method == "POST":
        used = passkeys.authenticate(request, user, request.POST.get("credential", ""))
        if used is not None:
            pending.amr.append(passkeys.method(used))
            login_steps.save(request, pending)
            return step_views.proceed(request)
        problem = "The passkey was not accepted."
        audit.user_event(
            "LOGIN_ERROR",
            realm=realm,
            request=request,
            user=user,
            error="invalid_user_credentials",
            details={"credential_type": "webauthn"},
        )
    return render(
        request,
        "accounts/login_passkey.html",
        {
            "realm": realm,
            "options": passkeys.authentication_options(request, user),
            "problem": problem,
            "has_code": step_views.has_code(user),
        },
        status=400 if problem else 200,
    )
