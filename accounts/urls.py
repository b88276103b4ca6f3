from django.urls import path

from accounts import step_views, views

app_name = "accounts"

urlpatterns = [
    path("login", views.login, name="login"),
    path("login/update-password", views.update_password, name="update-password"),
    path("login/otp", step_views.login_otp, name="login-otp"),
    path("login/configure-totp", step_views.configure_totp, name="login-configure-totp"),
    path("login/update-profile", step_views.update_profile, name="login-update-profile"),
    path("login/terms", step_views.terms, name="login-terms"),
    path("login/continue", step_views.login_continue, name="login-continue"),
    path("account", views.account, name="account"),
    path("logout", views.logout, name="logout"),
]
