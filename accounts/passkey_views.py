"""Passkey pages: adding one in the account console or as a required action at login, using
one as the second factor of a login, and signing in with a passwordless one from the login
page. They need JavaScript (the browser's WebAuthn API, accounts/static/accounts/passkeys.js);
every other page works without. HTTP only: the ceremonies are accounts.passkeys'."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import (
    audit,
    backends,
    login_steps,
    passkeys,
    ratelimit,
    required_actions,
    step_views,
    webauthn_policy,
)
from accounts.account_views import signed_in
from accounts.redirects import safe_next

NOT_ADDED = "The passkey could not be added. Try again."
NOT_ACCEPTED = "The passkey was not accepted."


def _name(request) -> str:
    return (request.POST.get("name") or "Passkey").strip()[:64] or "Passkey"


def _kind(passwordless: bool) -> str:
    """Keycloak's credential type."""
    return "webauthn-passwordless" if passwordless else "webauthn"


def _allowed(realm, passwordless: bool) -> None:
    if passwordless and not webauthn_policy.passkeys_enabled(realm):
        raise Http404("No passwordless passkeys here")


def _added(request, user, passkey) -> None:
    audit.user_event(
        "UPDATE_CREDENTIAL",
        realm=user.realm,
        request=request,
        user=user,
        details={"credential_type": _kind(passkey.passwordless), "name": passkey.name},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def add_passkey(request, *, passwordless: bool = False):
    """A passkey for the second factor, or (where the realm allows it) a passwordless one."""
    realm, user = request.realm, request.sso.user
    _allowed(realm, passwordless)
    problem = None
    if request.method == "POST":
        name = _name(request)
        added = passkeys.register(
            request, user, request.POST.get("credential", ""), name=name, passwordless=passwordless
        )
        if added is not None:
            _added(request, user, added)
            return redirect("accounts:account-signing-in", realm_name=realm.name)
        problem = NOT_ADDED
    return render(
        request,
        "accounts/account/add_passkey.html",
        {
            "realm": realm,
            "user": user,
            "session": request.sso,
            "section": "signing-in",
            "passwordless": passwordless,
            "options": passkeys.registration_options(request, user, passwordless=passwordless),
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
        problem = NOT_ACCEPTED
        _login_error(request, user, "webauthn")
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


@never_cache
@require_POST
@ratelimit.limit_logins("login-passkey", per_username=False)
def sign_in(request):
    """Sign in with a passwordless passkey (the realm's ``passkeysEnabled``). The login page's
    button posts here without a credential: the page asks the authenticator, with a challenge
    made for it, and posts its answer back. The passkey names the user; the authenticator must
    have verified them. A disabled or locked-out user is refused as an unknown passkey is."""
    realm = request.realm
    _allowed(realm, passwordless=True)
    next_url = safe_next(realm, request.POST.get("next"))
    credential = request.POST.get("credential")
    problem = None
    if credential:
        used = passkeys.sign_in(request, realm, credential)
        user = used.user if used is not None else None
        if user is not None and _may_sign_in(user):
            login_steps.begin(request, user, next_url, amr=[passkeys.method(used)])
            return step_views.proceed(request)
        problem = NOT_ACCEPTED
        _login_error(request, user, "webauthn-passwordless")
    return render(
        request,
        "accounts/login_passwordless.html",
        {
            "realm": realm,
            "next": next_url,
            "options": passkeys.sign_in_options(request, realm),
            "problem": problem,
        },
        status=400 if problem else 200,
    )


def _may_sign_in(user) -> bool:
    return (
        user.is_active and user.realm.enabled and not backends.is_locked_out(user, timezone.now())
    )


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("login-otp", per_username=False)
def register_step(request, *, passwordless: bool):
    """Keycloak's required actions ``webauthn-register`` and ``webauthn-register-passwordless``:
    the user adds a passkey before the login completes. A second-factor passkey, once added,
    counts as the second factor of this login (as an enrolled authenticator does)."""
    realm = request.realm
    pending, elsewhere = step_views.pending_or_login(request)
    if elsewhere:
        return elsewhere
    user = pending.user
    action = (
        required_actions.WEBAUTHN_REGISTER_PASSWORDLESS
        if passwordless
        else required_actions.WEBAUTHN_REGISTER
    )
    problem = None
    if request.method == "POST":
        added = passkeys.register(
            request,
            user,
            request.POST.get("credential", ""),
            name=_name(request),
            passwordless=passwordless,
        )
        if added is not None:
            _added(request, user, added)
            required_actions.complete(user, action)
            if not passwordless and login_steps.SECOND_FACTORS.isdisjoint(pending.amr):
                pending.amr.append(passkeys.method(added))
                login_steps.save(request, pending)
            return step_views.proceed(request)
        problem = NOT_ADDED
    return render(
        request,
        "accounts/register_passkey.html",
        {
            "realm": realm,
            "passwordless": passwordless,
            "action": action,
            "options": passkeys.registration_options(request, user, passwordless=passwordless),
            "problem": problem,
        },
        status=400 if problem else 200,
    )


def _login_error(request, user, credential_type: str) -> None:
    """Keycloak's LOGIN_ERROR for a passkey answer that was not accepted."""
    audit.user_event(
        "LOGIN_ERROR",
        realm=request.realm,
        request=request,
        user=user,
        error="invalid_user_credentials",
        details={"credential_type": credential_type},
    )
