"""The deployed WSGI application (authserver.wsgi.application): the protocol endpoints through
the short middleware list answer exactly as the whole stack does; browser pages keep it all.

Django's test client builds its own handler, so these tests call the application with WSGI
environs of their own, as gunicorn does.
"""

from urllib.parse import urlencode

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from django.urls import reverse

from authserver.wsgi import application
from authserver.wsgi_dispatch import (
    PROTOCOL_PATHS,
    PathDispatcher,
    ProtocolHandler,
    protocol_middleware,
)
from tests.factories import make_client, make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    make_machine_client,
    make_web_client,
    tokens_for,
)
from tests.wsgi import Answer, send

pytestmark = pytest.mark.django_db

SPA = "https://spa.example"
FORM = "application/x-www-form-urlencoded"


def call(app, path, *, method="GET", headers=None, form=None, scheme="http") -> Answer:
    """One request to the WSGI application ``app``, with the environ a server would pass."""
    body = urlencode(form).encode() if form is not None else b""
    content_type = FORM if form is not None else None
    return send(
        path,
        method=method,
        body=body,
        content_type=content_type,
        headers=headers,
        scheme=scheme,
        app=app,
    )


def fresh_application() -> PathDispatcher:
    """As authserver/wsgi.py builds it; middleware reads some settings when it is built."""
    return PathDispatcher(protocol=ProtocolHandler(), browser=WSGIHandler())


def set_up():
    realm = make_realm()
    make_client(realm, "spa", client_type="public", allowed_origins=SPA)
    make_machine_client(realm)
    make_web_client(realm)
    return realm


def token_form(realm, app=application) -> dict:
    answer = call(
        app,
        endpoint(realm, "token"),
        method="POST",
        headers={"Authorization": basic("machine", SECRET)},
        form={"grant_type": "client_credentials"},
    )
    assert answer.status == 200, answer.body
    return answer.json()


def requests(http, realm, app) -> dict[str, dict]:
    """One request of each kind a protocol endpoint gets, as keyword arguments of call()."""
    name = realm.name
    machine = {"Authorization": basic("machine", SECRET)}
    certs = endpoint(realm, "certs")
    etag = call(app, certs).header("ETag")
    service_token = token_form(realm, app)["access_token"]
    user_token = tokens_for(http, realm, make_user(realm), scope="openid")["access_token"]
    return {
        "jwks": {"path": certs, "headers": {"Origin": SPA}},
        "jwks head": {"path": certs, "method": "HEAD"},
        "jwks not modified": {"path": certs, "headers": {"If-None-Match": etag}},
        "jwks preflight": {
            "path": certs,
            "method": "OPTIONS",
            "headers": {"Origin": SPA, "Access-Control-Request-Method": "GET"},
        },
        "openid-configuration": {
            "path": f"/realms/{name}/.well-known/openid-configuration",
            "headers": {"Origin": SPA},
        },
        "rfc 8414 metadata": {"path": f"/.well-known/oauth-authorization-server/realms/{name}"},
        "realm document": {
            "path": f"/realms/{name}",
            "headers": {"Origin": "https://evil.example"},
        },
        "unknown realm": {"path": "/realms/nowhere/protocol/openid-connect/certs"},
        "token": {
            "path": endpoint(realm, "token"),
            "method": "POST",
            "headers": {**machine, "Origin": SPA},
            "form": {"grant_type": "client_credentials"},
        },
        "token, wrong secret": {
            "path": endpoint(realm, "token"),
            "method": "POST",
            "headers": {"Authorization": basic("machine", "wrong")},
            "form": {"grant_type": "client_credentials"},
        },
        "token by GET": {"path": endpoint(realm, "token")},
        "introspection": {
            "path": endpoint(realm, "token/introspect"),
            "method": "POST",
            "headers": machine,
            "form": {"token": user_token},
        },
        "userinfo without a token": {"path": endpoint(realm, "userinfo")},
        "userinfo": {
            "path": endpoint(realm, "userinfo"),
            "headers": {"Authorization": f"Bearer {user_token}", "Origin": SPA},
        },
        "userinfo without openid": {
            "path": endpoint(realm, "userinfo"),
            "method": "POST",
            "headers": {"Authorization": f"Bearer {service_token}"},
            "form": {},
        },
        "liveness probe": {"path": "/healthz"},
        "readiness probe": {"path": "/readyz"},
        "revocation": {
            "path": endpoint(realm, "revoke"),
            "method": "POST",
            "headers": machine,
            "form": {"token": "not-a-token-of-ours"},
        },
    }


# Tokens differ from one request to the next; their answers are compared without the body.
FRESH_TOKENS = {"token"}


def assert_same_answer(kind, lean: Answer, full: Answer):
    assert lean.status == full.status, kind
    # Each request gets its own id; both stacks answer one.
    assert lean.header("X-Request-ID") and full.header("X-Request-ID"), kind
    # never_cache's Expires is the time of the answer: the same header, a second apart at times.
    assert bool(lean.header("Expires")) == bool(full.header("Expires")), kind
    if kind in FRESH_TOKENS:
        assert lean.json().keys() == full.json().keys(), kind
        drop = {"content-length", "x-request-id", "expires"}
    else:
        assert lean.body == full.body, kind
        drop = {"x-request-id", "expires"}
    assert sorted((k, v) for k, v in lean.headers if k.lower() not in drop) == sorted(
        (k, v) for k, v in full.headers if k.lower() not in drop
    ), kind


def test_it_answers_every_protocol_endpoint_as_the_whole_middleware_stack_does(client):
    realm = set_up()
    for kind, request in requests(client, realm, application).items():
        assert PROTOCOL_PATHS.fullmatch(request["path"]), kind
        lean = call(application, **request)
        full = call(application.browser, **request)
        assert_same_answer(kind, lean, full)


@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
)
def test_it_keeps_every_security_header_over_https(client):
    app = fresh_application()
    realm = set_up()
    for kind, request in requests(client, realm, app).items():
        lean = call(app, **request, scheme="https")
        full = call(app.browser, **request, scheme="https")
        assert_same_answer(kind, lean, full)
        assert lean.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
        assert lean.header("X-Content-Type-Options") == "nosniff"
        assert lean.header("X-Frame-Options") == "DENY"
        assert lean.header("Referrer-Policy") == "same-origin"
        assert lean.header("Cross-Origin-Opener-Policy") == "same-origin"
        assert "default-src 'self'" in lean.header("Content-Security-Policy")


def test_it_lets_an_allowed_web_origin_read_the_documents():
    realm = set_up()
    for path in (
        endpoint(realm, "certs"),
        f"/realms/{realm.name}/.well-known/openid-configuration",
        f"/realms/{realm.name}",
    ):
        answer = call(application, path, headers={"Origin": SPA})
        assert answer.status == 200
        assert answer.header("Access-Control-Allow-Origin") == SPA
        assert answer.header("Vary") == "Origin"
        assert answer.header("Content-Type") == "application/json"
        assert answer.header("Cache-Control") == "public, max-age=300"
        assert answer.header("Set-Cookie") is None


def test_it_answers_not_modified_to_a_matching_etag():
    realm = set_up()
    for path in (
        endpoint(realm, "certs"),
        f"/.well-known/oauth-authorization-server/realms/{realm.name}",
    ):
        first = call(application, path)
        again = call(application, path, headers={"If-None-Match": first.header("ETag")})
        head = call(application, path, method="HEAD")
        assert again.status == 304 and again.body == b""
        assert again.header("ETag") == first.header("ETag") == head.header("ETag")
        assert again.header("Cache-Control") == "public, max-age=300"
        assert head.status == 200


def test_it_skips_only_the_middleware_browser_pages_need():
    assert protocol_middleware() == [
        "authserver.observability.middleware.RequestIdMiddleware",
        "authserver.observability.middleware.MetricsMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "authserver.middleware.RefuseNulMiddleware",
        "django.middleware.common.CommonMiddleware",
        "accounts.realms.RealmMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "authserver.middleware.ContentSecurityPolicyMiddleware",
        "authserver.middleware.RefuseTraceMiddleware",
    ]


def test_it_still_refuses_a_host_that_is_not_allowed():
    realm = set_up()
    answer = call(application, endpoint(realm, "certs"), headers={"Host": "evil.example"})
    assert answer.status == 400


@pytest.mark.parametrize(
    "name",
    [
        "jwks",
        "token",
        "introspect",
        "userinfo",
        "revoke",
        "openid-configuration",
        "oauth-authorization-server",
        "realm-info",
    ],
)
def test_it_sends_the_protocol_endpoints_to_the_short_stack(name):
    path = reverse(name, kwargs={"realm_name": "some-realm"})
    assert PROTOCOL_PATHS.fullmatch(path)
    assert not PROTOCOL_PATHS.fullmatch(path + "/")


@pytest.mark.parametrize("name", ["healthz", "readyz"])
def test_it_sends_the_health_probes_to_the_short_stack(name):
    assert PROTOCOL_PATHS.fullmatch(reverse(name))


@pytest.mark.parametrize(
    "path",
    [
        reverse("authorize", kwargs={"realm_name": "r"}),
        reverse("end-session", kwargs={"realm_name": "r"}),
        reverse("consents", kwargs={"realm_name": "r"}),
        "/realms/r/login",
        "/realms/r/account",
        "/realms/r/",
        "/realms/r/protocol/openid-connect/certs/",
        "/realms/r/protocol/openid-connect/token/other",
        "/admin/",
        "/admin/login/",
        "/healthz/",
        "/static/admin/css/base.css",
        "/",
    ],
)
def test_it_sends_every_other_path_to_the_whole_stack(path):
    assert not PROTOCOL_PATHS.fullmatch(path)


def test_it_keeps_sessions_and_csrf_for_the_login_page():
    realm = set_up()
    page = call(application, f"/realms/{realm.name}/login")
    assert page.status == 200
    assert "csrftoken=" in (page.header("Set-Cookie") or "")
    assert "Cookie" in page.header("Vary")

    forged = call(
        application,
        f"/realms/{realm.name}/login",
        method="POST",
        form={"username": "someone", "password": "guess"},
    )
    assert forged.status == 403


def test_it_keeps_csrf_for_the_admin_console():
    page = call(application, "/admin/login/")
    assert page.status == 200
    assert "csrftoken=" in (page.header("Set-Cookie") or "")
    assert call(application, "/admin/login/", method="POST", form={"username": "x"}).status == 403


def test_it_answers_a_post_to_a_document_with_405_rather_than_a_csrf_failure():
    """The one answer that changed: the whole stack refused an unsafe method on the JWKS with
    CSRF's 403 page before the view could say which methods it takes."""
    realm = set_up()
    request = {"path": endpoint(realm, "certs"), "method": "POST", "form": {}}
    assert call(application.browser, **request).status == 403
    lean = call(application, **request)
    assert lean.status == 405
    assert lean.header("Allow") == "GET, HEAD"


def test_it_answers_trace_with_405_on_both_stacks():
    realm = set_up()
    for path in (
        endpoint(realm, "token"),
        endpoint(realm, "certs"),
        f"/realms/{realm.name}/login",
        "/admin/login/",
        "/healthz",
    ):
        for app in (application, application.browser):
            answer = call(app, path, method="TRACE", headers={"Cookie": "secret=1"})
            assert answer.status == 405, path
            assert b"secret" not in answer.body
            assert "TRACE" not in answer.header("Allow")
            assert "frame-ancestors 'none'" in answer.header("Content-Security-Policy")
            assert answer.header("X-Content-Type-Options") == "nosniff"
