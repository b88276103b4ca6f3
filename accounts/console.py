"""The console's admin site: master-realm logins, rate limited per IP and per username
(accounts.ratelimit), with an optional TOTP second factor (django-otp's device interface, the
key sealed at rest: accounts.console_otp), required of superusers
when AUTHSERVER_CONSOLE_REQUIRE_MFA is on; sessions end when idle or old
(accounts.console_sessions).

Pages are grouped the way Keycloak's console names them: realm settings, clients, client
scopes, roles, groups, users, sessions, consents, keys, events.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import reverse

from accounts import console_sessions, ratelimit
from accounts.models import ConsoleTOTPDevice

# (app_label, object_name) -> the console's name for the page, in the console's order.
_PAGES = [
    ("accounts", "Realm", "Realm settings"),
    ("authserver", "Client", "Clients"),
    ("accounts", "ClientScope", "Client scopes"),
    ("accounts", "Role", "Roles"),
    ("accounts", "Group", "Groups"),
    ("accounts", "User", "Users"),
    ("accounts", "UserSession", "Sessions"),
    ("authserver", "Consent", "Consents"),
    ("authserver", "SigningKey", "Keys"),
    ("accounts", "Event", "Events"),
]


def mfa_required(user) -> bool:
    return settings.AUTHSERVER_CONSOLE_REQUIRE_MFA and user.is_superuser


class ConsoleLoginForm(AdminAuthenticationForm):
    """Username and password of a master-realm console user, then a TOTP code when the user has
    a device (or must have one)."""

    otp_token = forms.CharField(
        label="One-time code",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="From your authenticator app, if you have enrolled one.",
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        devices = list(ConsoleTOTPDevice.objects.filter(user=user, confirmed=True))
        if not devices:
            if mfa_required(user):
                raise forms.ValidationError(
                    "This console requires a one-time code for superusers: enrol an "
                    "authenticator first (manage.py console_totp USERNAME).",
                    code="mfa_enrolment_required",
                )
            return
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if not token:
            raise forms.ValidationError("Enter the one-time code.", code="token_required")
        for device in devices:
            if device.verify_is_allowed()[0] and device.verify_token(token):
                # django-otp's login signal handler stores the device in the session.
                user.otp_device = device
                return
        raise forms.ValidationError("Invalid one-time code.", code="invalid_token")


class ConsoleSite(admin.AdminSite):
    site_header = "authserver console"
    site_title = "authserver console"
    index_title = "Realms, users and clients"
    site_url = None  # There is no site at "/": hide the "View site" link.
    login_form = ConsoleLoginForm
    # Lists need the width of a laptop screen more than a second copy of the index.
    enable_nav_sidebar = False

    def has_permission(self, request):
        if request.user.is_authenticated and not console_sessions.live(request):
            return False
        if not super().has_permission(request):
            return False
        return not mfa_required(request.user) or request.user.is_verified()

    def login(self, request, extra_context=None):
        # Console login POSTs share the realm login pages' limit (AUTHSERVER_RATE_LOGIN), per
        # client address and per username: a refused attempt is not even checked.
        limited = ratelimit.limit_logins("console", per_username=True)(super().login)
        return limited(request, extra_context)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        models = {(app["app_label"], m["object_name"]): m for app in apps for m in app["models"]}
        realm_pages = []
        for app_label_, object_name, name in _PAGES:
            page = models.pop((app_label_, object_name), None)
            if page is not None:
                realm_pages.append({**page, "name": name})
        rest = [
            {
                **app,
                "models": [
                    m for m in app["models"] if (app["app_label"], m["object_name"]) in models
                ],
            }
            for app in apps
        ]
        rest = [app for app in rest if app["models"]]
        if not realm_pages:
            return rest
        realm_app = {
            "name": "Manage realms",
            "app_label": "accounts",
            "app_url": reverse("admin:index", current_app=self.name),
            "has_module_perms": True,
            "models": realm_pages,
        }
        # What is left of this app once its realm pages are placed: the console's devices.
        names = {"auth": "Console accounts", "accounts": "Console two-factor devices"}
        for app in rest:
            app["name"] = names.get(app["app_label"], app["name"])
        return [realm_app, *rest]
