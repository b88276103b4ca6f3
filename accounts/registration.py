"""/realms/NAME/login/registrations: self-registration where the realm allows it
(Keycloak's ``registrationAllowed``). HTTP only.

The realm's password policy applies; ``registrationEmailAsUsername`` makes the address the
username; with ``verifyEmail`` the first login waits for the address to be verified. Names
already taken: where the address is verified before the first login, the page answers as for
a new account and the address's owner is told by mail, so the form tells nobody which accounts
exist; otherwise (as in Keycloak) the form says the username or address is taken.
"""

from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import audit, login_steps, mail, ratelimit, step_views
from accounts.forms import RegistrationForm
from accounts.models import User
from accounts.no_referrer import no_referrer_form
from accounts.realms import for_realm
from accounts.redirects import safe_next

TAKEN = "An account with this username or e-mail address exists already."


@no_referrer_form
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limit_logins("register", per_username=True)
def register(request):
    realm = request.realm
    if not realm.registration_allowed:
        raise Http404("No registration here")
    next_url = safe_next(realm, request.POST.get("next") or request.GET.get("next"))
    form = RegistrationForm(request.POST if request.method == "POST" else None, realm=realm)
    if form.is_valid():
        data = form.cleaned_data
        taken = _taken(realm, data["username"], data["email"])
        if taken is not None and realm.verify_email:
            _tell_owner(realm, taken)
            return render(
                request, "accounts/email/verify_step.html", {"realm": realm, "user": data}
            )
        user = None if taken else _create(realm, data)
        if user is None:
            form.add_error(None, TAKEN)
        else:
            audit.user_event("REGISTER", realm=realm, request=request, user=user)
            return step_views.proceed(request, login_steps.begin(request, user, next_url))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/register.html",
        {"realm": realm, "form": form, "next": next_url},
        status=status,
    )


def _taken(realm, username: str, email: str) -> User | None:
    """The user who has the username, or (unless the realm allows duplicate e-mails) the
    address."""
    users = for_realm(User, realm)
    found = users.filter(username=username).first()
    if found is None and not realm.duplicate_emails_allowed:
        found = users.filter(email__iexact=email).first()
    return found


def _create(realm, data) -> User | None:
    user = User(
        realm=realm,
        username=data["username"],
        email=data["email"],
        first_name=data["firstName"],
        last_name=data["lastName"],
    )
    user.set_password(data["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Registered by another request since the check.
        return None
    return user


def _tell_owner(realm, user: User) -> None:
    if user.email:
        mail.send(
            realm,
            user.email,
            "Someone tried to register",
            f"Someone tried to register an account at {realm.title} with your username or "
            "e-mail address. You have an account already; if it was you, sign in, or reset "
            "your password from the sign-in page.\n",
        )
