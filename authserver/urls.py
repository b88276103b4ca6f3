from django.contrib import admin
from django.urls import include, path

from authserver.views import (
    account_profile,
    authorize,
    client_registration,
    consents,
    device,
    health,
    introspect,
    jwks,
    logout,
    metrics,
    par,
    registrations,
    revoke,
    session_frames,
    token,
    userinfo,
    wellknown,
)

urlpatterns = [
    path("healthz", health.alive, name="healthz"),
    path("readyz", health.ready, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    # The admin REST API first: the console's URLs would take anything under admin/.
    path("admin/", include("authserver.adminapi.urls")),
    path("admin/", admin.site.urls),
    path("realms/<str:realm_name>/protocol/openid-connect/certs", jwks.certs, name="jwks"),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/auth",
        authorize.authorize,
        name="authorize",
    ),
    path("realms/<str:realm_name>/protocol/openid-connect/token", token.token, name="token"),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/registrations",
        registrations.registrations,
        name="registrations",
    ),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/logout",
        logout.end_session,
        name="end-session",
    ),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/token/introspect",
        introspect.introspect,
        name="introspect",
    ),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/userinfo",
        userinfo.userinfo,
        name="userinfo",
    ),
    path("realms/<str:realm_name>/protocol/openid-connect/revoke", revoke.revoke, name="revoke"),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/auth/device",
        device.authorize_device,
        name="device-authorization",
    ),
    path("realms/<str:realm_name>/device", device.verify, name="device-verification"),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/ext/par/request",
        par.push,
        name="pushed-authorization-request",
    ),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/3p-cookies/step1.html",
        session_frames.third_party_cookies_step1,
        name="3p-cookies-step1",
    ),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/3p-cookies/step2.html",
        session_frames.third_party_cookies_step2,
        name="3p-cookies-step2",
    ),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/login-status-iframe.html",
        session_frames.login_status_iframe,
        name="login-status-iframe",
    ),
    path(
        "realms/<str:realm_name>/protocol/openid-connect/login-status-iframe.html/init",
        session_frames.login_status_iframe_init,
        name="login-status-iframe-init",
    ),
    path(
        "realms/<str:realm_name>/.well-known/openid-configuration",
        wellknown.openid_configuration,
        name="openid-configuration",
    ),
    # RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    path(
        ".well-known/oauth-authorization-server/realms/<str:realm_name>",
        wellknown.openid_configuration,
        name="oauth-authorization-server",
    ),
    path(
        "realms/<str:realm_name>/clients-registrations/openid-connect",
        client_registration.register,
        name="client-registration",
    ),
    path(
        "realms/<str:realm_name>/clients-registrations/openid-connect/<str:client_id>",
        client_registration.configuration,
        name="client-configuration",
    ),
    path("realms/<str:realm_name>", wellknown.realm_info, name="realm-info"),
    path("realms/<str:realm_name>/account/consents", consents.consents, name="consents"),
    # keycloak-js's loadUserProfile reads JSON here; browsers get the account console.
    path("realms/<str:realm_name>/account", account_profile.account, name="account-profile"),
    path("realms/<str:realm_name>/", include("accounts.urls")),
]

handler500 = "authserver.views.server_error.server_error"
handler400 = "authserver.views.errors.bad_request"
handler403 = "authserver.views.errors.permission_denied"
handler404 = "authserver.views.errors.page_not_found"
