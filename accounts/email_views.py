"""The pages of links sent by e-mail: forgot password, verify e-mail (the VERIFY_EMAIL
required action), confirm a new address. A link's page shows a button; only the POST spends
it, so a mail scanner that fetches links spends nothing. HTTP only."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import (
    action_tokens,
    audit,
    backends,
    links,
    login_names,
    login_steps,
    ratelimit,
    required_actions,
    step_views,
)
from accounts import sessions as sso
from accounts.addresses import client_ip
from accounts.forms import ForgotPasswordForm, UpdatePasswordForm
from accounts.no_referrer import no_referrer_form

Kind = action_tokens.Kind


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("reset-password", per_username=True)
def forgot_password(request):
    """The same answer, in the same time, whether the account exists or not: the name asked
    for is queued as it is, and looked up only after the answer has gone (accounts.links).
    Rate limited per address and per name asked for, as logins are."""
    realm = request.realm
    if not realm.reset_password_allowed:
        raise Http404("No password reset here")
    form = ForgotPasswordForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        links.ask_password_reset(
            realm, form.cleaned_data["username"], ip_address=client_ip(request) or None
        )
        return render(request, "accounts/email/sent.html", {"realm": realm})
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/email/forgot_password.html",
        {"realm": realm, "form": form},
        status=status,
    )


def _expired(request):
    return render(request, "accounts/email/expired.html", {"realm": request.realm}, status=400)


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
def reset_password(request):
    realm = request.realm
    key = request.POST.get("key") or request.GET.get("key", "")
    token = action_tokens.peek(key, Kind.RESET_PASSWORD, realm)
    if token is None:
        return _expired(request)
    user = token.user
    form = UpdatePasswordForm(request.POST if request.method == "POST" else None, user=user)
    if form.is_valid():
        if action_tokens.spend(key, Kind.RESET_PASSWORD, realm) is None:
            return _expired(request)
        user.set_password(form.cleaned_data["password_new"])
        user.password_temporary = False
        user.save(update_fields=["password", "password_temporary"])
        backends.reset_failures(user)
        # Whoever knew the old password is signed out everywhere.
        for session in user.sessions.filter(ended__isnull=True):
            sso.terminate(session)
        audit.user_event("RESET_PASSWORD", realm=realm, request=request, user=user)
        return render(request, "accounts/email/done.html", {"realm": realm, "reset": True})
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/email/reset_password.html",
        {"realm": realm, "form": form, "key": key},
        status=status,
    )


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
def confirm_email(request, kind):
    """The link of a VERIFY_EMAIL or an address change: a button, then the address is the
    user's, verified. A login waiting for it in this browser goes on."""
    realm = request.realm
    key = request.POST.get("key") or request.GET.get("key", "")
    if action_tokens.peek(key, kind, realm) is None:
        return _expired(request)
    if request.method == "GET":
        return render(
            request, "accounts/email/confirm.html", {"realm": realm, "key": key, "kind": kind}
        )
    token = action_tokens.spend(key, kind, realm)
    if token is None:
        return _expired(request)
    user = token.user
    if kind == Kind.UPDATE_EMAIL and login_names.email_taken(realm, token.email, other_than=user):
        # Another user took the address since the link was sent.
        return render(
            request, "accounts/email/expired.html", {"realm": realm, "taken": True}, status=409
        )
    if kind == Kind.VERIFY_EMAIL and token.email != user.email:
        # The address changed since the link was sent: it proves nothing of the new one.
        return _expired(request)
    user.email, user.email_verified = token.email, True
    user.save(update_fields=["email", "email_verified"])
    required_actions.complete(user, required_actions.VERIFY_EMAIL)
    audit.user_event(
        "VERIFY_EMAIL" if kind == Kind.VERIFY_EMAIL else "UPDATE_EMAIL",
        realm=realm,
        request=request,
        user=user,
    )
    pending = login_steps.current(request, realm)
    if pending is not None and pending.user.pk == user.pk:
        return step_views.proceed(request)
    return render(request, "accounts/email/done.html", {"realm": realm, "verified": True})


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("verify-email", per_username=False)
def verify_email_step(request):
    """VERIFY_EMAIL at login: a link goes to the user's address (again on request)."""
    realm = request.realm
    pending, elsewhere = step_views.pending_or_login(request)
    if elsewhere:
        return elsewhere
    user = pending.user
    if not user.email:
        required_actions.complete(user, required_actions.VERIFY_EMAIL)
        return step_views.proceed(request)
    if request.method == "POST" or not pending.verification_sent:
        links.send_link(request, user, Kind.VERIFY_EMAIL, email=user.email)
        pending.verification_sent = True
        login_steps.save(request, pending)
    return render(request, "accounts/email/verify_step.html", {"realm": realm, "user": user})


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
def execute_actions(request):
    """The link of the admin API's execute-actions-email: the user's required actions, run
    as a login's are, without the password and without a session at the end."""
    realm = request.realm
    key = request.POST.get("key") or request.GET.get("key", "")
    if action_tokens.peek(key, Kind.EXECUTE_ACTIONS, realm) is None:
        return _expired(request)
    if request.method == "GET":
        return render(
            request,
            "accounts/email/confirm.html",
            {"realm": realm, "key": key, "kind": Kind.EXECUTE_ACTIONS},
        )
    token = action_tokens.spend(key, Kind.EXECUTE_ACTIONS, realm)
    if token is None:
        return _expired(request)
    if token.email == token.user.email and not token.user.email_verified:
        # Following the link proves the address, as in Keycloak.
        token.user.email_verified = True
        token.user.save(update_fields=["email_verified"])
        required_actions.complete(token.user, required_actions.VERIFY_EMAIL)
    pending = login_steps.begin(request, token.user, f"/realms/{realm.name}/account", by_mail=True)
    return step_views.proceed(request, pending)
