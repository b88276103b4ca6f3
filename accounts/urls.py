from django.urls import path

from accounts import (
    account_views,
    email_views,
    passkey_views,
    registration,
    step_views,
    views,
)
from accounts.models import ActionToken

app_name = "accounts"

urlpatterns = [
    path("login", views.login, name="login"),
    path("login/update-password", views.update_password, name="update-password"),
    path("login/otp", step_views.login_otp, name="login-otp"),
    path("login/passkey", passkey_views.login_passkey, name="login-passkey"),
    path("login/passkey-sign-in", passkey_views.sign_in, name="login-passwordless"),
    path(
        "login/webauthn-register",
        passkey_views.register_step,
        {"passwordless": False},
        name="login-webauthn-register",
    ),
    path(
        "login/webauthn-register-passwordless",
        passkey_views.register_step,
        {"passwordless": True},
        name="login-webauthn-register-passwordless",
    ),
    path("login/configure-totp", step_views.configure_totp, name="login-configure-totp"),
    path("login/update-profile", step_views.update_profile, name="login-update-profile"),
    path("login/terms", step_views.terms, name="login-terms"),
    path("login/registrations", registration.register, name="register"),
    path("login/continue", step_views.login_continue, name="login-continue"),
    path("login/verify-email", email_views.verify_email_step, name="login-verify-email"),
    path("login/reset-credentials", email_views.forgot_password, name="forgot-password"),
    path("login/action/execute-actions", email_views.execute_actions, name="execute-actions"),
    path("login/action/reset-password", email_views.reset_password, name="reset-password"),
    path(
        "login/action/verify-email",
        email_views.confirm_email,
        {"kind": ActionToken.Kind.VERIFY_EMAIL},
        name="verify-email",
    ),
    path(
        "login/action/update-email",
        email_views.confirm_email,
        {"kind": ActionToken.Kind.UPDATE_EMAIL},
        name="update-email",
    ),
    path("account", account_views.profile, name="account"),
    path("account/password", account_views.password, name="account-password"),
    path("account/signing-in", account_views.signing_in, name="account-signing-in"),
    path(
        "account/signing-in/totp",
        account_views.add_authenticator,
        name="account-add-authenticator",
    ),
    path("account/signing-in/passkey", passkey_views.add_passkey, name="account-add-passkey"),
    path(
        "account/signing-in/passwordless-passkey",
        passkey_views.add_passkey,
        {"passwordless": True},
        name="account-add-passwordless-passkey",
    ),
    path("account/sessions", account_views.sessions, name="account-sessions"),
    path("account/events", account_views.events, name="account-events"),
    path("logout", views.logout, name="logout"),
]
