"""The realm's own pages: login, temporary-password change, logout. HTTP only."""

from django.contrib.auth import authenticate
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import (
    audit,
    login_steps,
    ratelimit,
    required_actions,
    sessions,
    step_views,
    webauthn_policy,
)
from accounts.forms import LoginForm, UpdatePasswordForm
from accounts.no_referrer import no_referrer_form
from accounts.redirects import safe_next

INVALID_CREDENTIALS = "Invalid username or password."


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("login", per_username=True)
def login(request):
    realm = request.realm
    next_url = safe_next(realm, request.POST.get("next") or request.GET.get("next"))
    # OIDC Core §3.1.2.1 login_hint, passed on by the authorization endpoint: pre-fills the form.
    hint = request.GET.get("login_hint", "")[: LoginForm.base_fields["username"].max_length]
    form = LoginForm(request.POST if request.method == "POST" else None, initial={"username": hint})
    if form.is_valid():
        user = authenticate(request, realm=realm, **form.cleaned_data)
        if user is None:
            form.add_error(None, INVALID_CREDENTIALS)
            audit.user_event(
                "LOGIN_ERROR",
                realm=realm,
                request=request,
                username=form.cleaned_data["username"][:255],
                error="invalid_user_credentials",
            )
        else:
            return step_views.proceed(request, login_steps.begin(request, user, next_url))
    # A well-formed attempt with wrong credentials is an ordinary page (200); a form missing
    # its fields is a bad request.
    status = 400 if form.is_bound and not form.is_valid() and not form.non_field_errors() else 200
    return render(
        request,
        "accounts/login.html",
        {
            "realm": realm,
            "form": form,
            "next": next_url,
            "passkeys": webauthn_policy.passkeys_enabled(realm),
        },
        status=status,
    )


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
def update_password(request):
    """Keycloak's UPDATE_PASSWORD required action (a temporary password)."""
    realm = request.realm
    pending = login_steps.current(request, realm)
    if pending is None:
        return redirect("accounts:login", realm_name=realm.name)
    user = pending.user
    form = UpdatePasswordForm(request.POST if request.method == "POST" else None, user=user)
    if form.is_valid():
        user.set_password(form.cleaned_data["password_new"])
        user.save(update_fields=["password"])
        required_actions.complete(user, required_actions.UPDATE_PASSWORD)
        audit.user_event("UPDATE_PASSWORD", realm=realm, request=request, user=user)
        return step_views.proceed(request)
    status = 400 if form.is_bound else 200
    return render(
        request, "accounts/update_password.html", {"realm": realm, "form": form}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def logout(request):
    realm = request.realm
    if request.method == "GET":
        session = sessions.current(request, realm)
        return render(request, "accounts/logout.html", {"realm": realm, "session": session})
    response = redirect("accounts:login", realm_name=realm.name)
    sessions.end(request, response, realm)
    return response
