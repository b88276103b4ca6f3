"""/realms/NAME/account: the user's own console, rendered on the server, usable without
JavaScript. Every page needs the realm's SSO session (else the realm's login, and back); every
change is a POST under Django's CSRF check, re-reading the session first. HTTP only: what is
read and changed is in accounts.account_console and accounts.otp."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth import authenticate
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import account_console, audit, links, otp, passkeys, ratelimit, webauthn_policy
from accounts import sessions as sso
from accounts.forms import (
    ChangePasswordForm,
    ConfigureTOTPForm,
    DeviceNameForm,
    UpdateProfileForm,
)
from accounts.models import ActionToken, OTPDevice
from accounts.redirects import safe_next
from accounts.step_views import enrolment_context

_ENROLLING = "accounts.account_enrolling"


def signed_in(view):
    """The page for the realm's signed-in user (``request.sso``), or the realm's login."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        realm = request.realm
        session = sso.current(request, realm)
        if session is None:
            query = urlencode({"next": safe_next(realm, request.get_full_path())})
            return redirect(f"/realms/{realm.name}/login?{query}")
        request.sso = session
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, template, section, status=200, **context):
    realm = request.realm
    return render(
        request,
        f"accounts/account/{template}.html",
        {
            "realm": realm,
            "user": request.sso.user,
            "session": request.sso,
            "section": section,
            **context,
        },
        status=status,
    )


def _event(request, type, **details):
    audit.user_event(
        type, realm=request.realm, request=request, user=request.sso.user, details=details
    )


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def profile(request):
    """Names change at once; a new e-mail address once the link mailed to it is followed."""
    user = request.sso.user
    initial = {"email": user.email, "firstName": user.first_name, "lastName": user.last_name}
    form = UpdateProfileForm(
        request.POST if request.method == "POST" else None, initial=initial, user=user
    )
    if form.is_valid():
        data = form.cleaned_data
        user.first_name, user.last_name = data["firstName"], data["lastName"]
        user.save(update_fields=["first_name", "last_name"])
        _event(request, "UPDATE_PROFILE")
        pending_email = data["email"] if data["email"] != user.email else None
        if pending_email:
            links.send_link(request, user, ActionToken.Kind.UPDATE_EMAIL, email=pending_email)
        form = UpdateProfileForm(
            initial={**initial, "firstName": user.first_name, "lastName": user.last_name},
            user=user,
        )
        return _page(
            request, "profile", "profile", form=form, saved=True, pending_email=pending_email
        )
    return _page(request, "profile", "profile", form=form, status=400 if form.is_bound else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("account-password", per_username=False)
@signed_in
def password(request):
    """The current password first (a wrong one counts towards the lockout), then the realm's
    password policy; optionally every other session of the user ends."""
    user = request.sso.user
    form = ChangePasswordForm(request.POST if request.method == "POST" else None, user=user)
    if form.is_valid():
        checked = authenticate(
            request,
            realm=request.realm,
            username=user.username,
            password=form.cleaned_data["current"],
        )
        if checked is None or checked.pk != user.pk:
            form.add_error("current", "The current password is not right.")
            _event(request, "UPDATE_PASSWORD_ERROR")
        else:
            user.set_password(form.cleaned_data["new"])
            user.password_temporary = False
            user.save(update_fields=["password", "password_temporary"])
            ended = 0
            if form.cleaned_data["sign_out_others"]:
                ended = account_console.end_other_sessions(user, keep=request.sso)
            _event(request, "UPDATE_PASSWORD", sessions_ended=ended)
            return _page(
                request, "password", "password", form=ChangePasswordForm(user=user), saved=True
            )
    return _page(request, "password", "password", form=form, status=400 if form.is_bound else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def signing_in(request):
    """The user's authenticators: rename or remove one; new recovery codes."""
    user = request.sso.user
    if request.method == "POST":
        device = OTPDevice.objects.filter(
            user=user, confirmed=True, pk=_int(request.POST.get("device"))
        ).first()
        action = request.POST.get("action")
        if action == "remove-passkey":
            passkey = passkeys.all_of(user).filter(pk=_int(request.POST.get("passkey"))).first()
            if passkey is None:
                return _page(request, "signing_in", "signing-in", status=400, **_devices(user))
            passkey.delete()
            _event(request, "REMOVE_CREDENTIAL", credential_type="webauthn", name=passkey.name)
            return redirect("accounts:account-signing-in", realm_name=request.realm.name)
        if action == "recovery-codes" and otp.has_device(user):
            codes = otp.new_recovery_codes(user)
            _event(request, "UPDATE_RECOVERY_CODES")
            return _page(request, "recovery_codes", "signing-in", codes=codes)
        if device is None:
            return _page(request, "signing_in", "signing-in", status=400, **_devices(user))
        if action == "remove":
            otp.remove_device(device)
            _event(request, "REMOVE_TOTP", name=device.name)
            return redirect("accounts:account-signing-in", realm_name=request.realm.name)
        form = DeviceNameForm(request.POST)
        if action != "rename" or not form.is_valid():
            return _page(request, "signing_in", "signing-in", status=400, **_devices(user))
        device.name = form.cleaned_data["name"]
        device.save(update_fields=["name"])
        return redirect("accounts:account-signing-in", realm_name=request.realm.name)
    return _page(request, "signing_in", "signing-in", **_devices(user))


def _devices(user) -> dict:
    return {
        "devices": list(otp.confirmed_devices(user)),
        "recovery_codes_left": otp.recovery_codes_left(user),
        "passkeys": list(passkeys.all_of(user)),
        "second_factor_passkeys": list(passkeys.of(user)),
        "passwordless_passkeys": list(passkeys.of(user, passwordless=True)),
        "passwordless_allowed": webauthn_policy.passkeys_enabled(user.realm),
    }


def _int(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("account-otp", per_username=False)
@signed_in
def add_authenticator(request):
    """Enrol another authenticator: the same QR code and key as at login, then a code."""
    user = request.sso.user
    device = OTPDevice.objects.filter(
        pk=request.session.get(_ENROLLING), user=user, confirmed=False
    ).first() or otp.start_enrolment(user)
    request.session[_ENROLLING] = device.pk
    form = ConfigureTOTPForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        name = form.cleaned_data["userLabel"] or "Authenticator"
        had_device = otp.has_device(user)
        if otp.finish_enrolment(device, form.cleaned_data["totp"], name=name):
            del request.session[_ENROLLING]
            _event(request, "UPDATE_TOTP", name=name)
            if had_device:
                return redirect("accounts:account-signing-in", realm_name=request.realm.name)
            codes = otp.new_recovery_codes(user)
            return _page(request, "recovery_codes", "signing-in", codes=codes)
        form.add_error("totp", "Invalid one-time code.")
    return _page(
        request,
        "add_authenticator",
        "signing-in",
        form=form,
        status=400 if form.is_bound else 200,
        **enrolment_context(device),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def sessions(request):
    user = request.sso.user
    if request.method == "POST":
        if request.POST.get("action") == "sign-out-others":
            ended = account_console.end_other_sessions(user, keep=request.sso)
            _event(request, "LOGOUT_OTHER_SESSIONS", sessions_ended=ended)
        elif account_console.end_session(user, request.POST.get("sid", "")):
            _event(request, "LOGOUT", sid=request.POST.get("sid", ""))
        return redirect("accounts:account-sessions", realm_name=request.realm.name)
    return _page(request, "sessions", "sessions", live=account_console.live_sessions(user))


@never_cache
@require_http_methods(["GET"])
@signed_in
def events(request):
    return _page(
        request, "events", "events", events=account_console.recent_events(request.sso.user)
    )
