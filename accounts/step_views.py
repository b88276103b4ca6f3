"""The pages of a login after the password (accounts.login_steps): the one-time code, and the
required actions Keycloak names (CONFIGURE_TOTP, UPDATE_PROFILE, TERMS_AND_CONDITIONS; the
temporary password's page is accounts.views.update_password). HTTP only."""

from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import (
    audit,
    backends,
    login_steps,
    otp,
    passkeys,
    ratelimit,
    required_actions,
    sessions,
)
from accounts.forms import ConfigureTOTPForm, OneTimeCodeForm, UpdateProfileForm
from accounts.models import OTPDevice
from accounts.no_referrer import no_referrer_form

INVALID_CODE = "Invalid one-time code."


def proceed(request, pending: login_steps.Pending | None = None):
    """To the next step of the pending login (``pending``, or the session's), or, with none
    left, into the session."""
    realm = request.realm
    if pending is None:
        pending = login_steps.current(request, realm)
    if pending is None:
        return redirect("accounts:login", realm_name=realm.name)
    page = login_steps.next_page(pending)
    if page is not None:
        return redirect(f"accounts:{page}", realm_name=realm.name)
    login_steps.finish(request)
    user = pending.user
    if pending.by_mail:
        audit.user_event("EXECUTE_ACTIONS", realm=realm, request=request, user=user)
        return render(request, "accounts/email/done.html", {"realm": realm, "updated": True})
    response = redirect(pending.next_url)
    sessions.start(
        request,
        response,
        user,
        amr=pending.amr,
        event=lambda session: audit.new_user_event(
            "LOGIN",
            realm=realm,
            request=request,
            user=user,
            details={"sid": str(session.sid), "amr": pending.amr},
        ),
    )
    rotate_token(request)
    if user.failed_logins:
        backends.reset_failures(user)
    return response


def pending_or_login(request):
    pending = login_steps.current(request, request.realm)
    if pending is None:
        return None, redirect("accounts:login", realm_name=request.realm.name)
    return pending, None


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("login-otp", per_username=False)
def login_otp(request):
    """The second factor: a code of one of the user's authenticators, or a recovery code.
    A wrong code counts as a failed login towards the realm's brute-force lockout."""
    realm = request.realm
    pending, elsewhere = pending_or_login(request)
    if elsewhere:
        return elsewhere
    user = pending.user
    form = OneTimeCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        code = form.cleaned_data["otp"]
        now = timezone.now()
        locked = backends.is_locked_out(user, now)
        if not locked and (otp.verify_any(user, code) or otp.use_recovery_code(user, code)):
            pending.amr.append(login_steps.OTP)
            login_steps.save(request, pending)
            return proceed(request)
        if not locked and realm.brute_force_protected:
            backends.record_failure(user, now)
        form.add_error(None, INVALID_CODE)
        audit.user_event(
            "LOGIN_ERROR",
            realm=realm,
            request=request,
            user=user,
            error="invalid_user_credentials",
            details={"credential_type": "otp"},
        )
    status = 400 if form.is_bound and not form.non_field_errors() else 200
    return render(
        request,
        "accounts/login_otp.html",
        {"realm": realm, "form": form, "has_passkey": passkeys.has_passkey(user)},
        status=status,
    )


def has_code(user) -> bool:
    return otp.has_device(user)


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("login-otp", per_username=False)
def configure_totp(request):
    """CONFIGURE_TOTP: scan the QR code (or type the secret), then show a code to confirm."""
    realm = request.realm
    pending, elsewhere = pending_or_login(request)
    if elsewhere:
        return elsewhere
    user = pending.user
    device = OTPDevice.objects.filter(
        pk=pending.enrolling, user=user, confirmed=False
    ).first() or otp.start_enrolment(user)
    pending.enrolling = device.pk
    login_steps.save(request, pending)
    form = ConfigureTOTPForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        name = form.cleaned_data["userLabel"] or "Authenticator"
        if otp.finish_enrolment(device, form.cleaned_data["totp"], name=name):
            required_actions.complete(user, required_actions.CONFIGURE_TOTP)
            pending.enrolling = None
            if login_steps.OTP not in pending.amr:
                pending.amr.append(login_steps.OTP)
            login_steps.save(request, pending)
            audit.user_event(
                "UPDATE_TOTP", realm=realm, request=request, user=user, details={"name": name}
            )
            codes = otp.new_recovery_codes(user)
            return render(request, "accounts/recovery_codes.html", {"realm": realm, "codes": codes})
        form.add_error("totp", INVALID_CODE)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/configure_totp.html",
        {"realm": realm, "form": form, **enrolment_context(device)},
        status=status,
    )


def enrolment_context(device: OTPDevice) -> dict:
    """What the enrolment page shows: the QR code, and the secret in groups of four."""
    secret = otp.secret_of(device)
    return {
        "device": device,
        "qr_svg": otp.qr_svg(otp.provisioning_uri(device)),
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }


@never_cache
@require_http_methods(["POST"])
def login_continue(request):
    """After the recovery codes were shown: on with the login."""
    return proceed(request)


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
def update_profile(request):
    """UPDATE_PROFILE: the user's names and e-mail address."""
    realm = request.realm
    pending, elsewhere = pending_or_login(request)
    if elsewhere:
        return elsewhere
    user = pending.user
    initial = {"email": user.email, "firstName": user.first_name, "lastName": user.last_name}
    form = UpdateProfileForm(
        request.POST if request.method == "POST" else None, initial=initial, user=user
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["email"] != user.email:
            user.email_verified = False
        user.email, user.first_name, user.last_name = (
            data["email"],
            data["firstName"],
            data["lastName"],
        )
        user.save(update_fields=["email", "email_verified", "first_name", "last_name"])
        required_actions.complete(user, required_actions.UPDATE_PROFILE)
        audit.user_event("UPDATE_PROFILE", realm=realm, request=request, user=user)
        return proceed(request)
    status = 400 if form.is_bound else 200
    return render(
        request, "accounts/update_profile.html", {"realm": realm, "form": form}, status=status
    )


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
def terms(request):
    """TERMS_AND_CONDITIONS: accept, or the login ends here."""
    realm = request.realm
    pending, elsewhere = pending_or_login(request)
    if elsewhere:
        return elsewhere
    if request.method == "POST":
        if request.POST.get("accept") == "yes":
            required_actions.complete(pending.user, required_actions.TERMS_AND_CONDITIONS)
            return proceed(request)
        login_steps.finish(request)
        return redirect("accounts:login", realm_name=realm.name)
    return render(request, "accounts/terms.html", {"realm": realm})
