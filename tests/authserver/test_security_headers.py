import re

import pytest
from django.test import Client, override_settings

from tests.factories import PASSWORD, make_realm, make_user
from tests.protocol.helpers import authorize_params, authorize_url, endpoint, make_web_client
from tests.protocol.test_consent import consent_client

pytestmark = pytest.mark.django_db

REQUIRED_DIRECTIVES = ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'")


def test_it_denies_framing_everywhere(client):
    realm = make_realm()
    for url in ("/healthz", f"/realms/{realm.name}/login", "/admin/login/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url


def test_it_sends_a_strict_content_security_policy(client):
    realm = make_realm()
    policy = client.get(f"/realms/{realm.name}/login")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def _pages(realm) -> dict[str, str]:
    make_web_client(realm)
    return {
        "login": f"/realms/{realm.name}/login",
        "authorization": authorize_url(realm, **authorize_params()),
        "authorization error": authorize_url(realm, **authorize_params("nobody")),
        "logout": endpoint(realm, "logout"),
        "account": f"/realms/{realm.name}/account",
        "consents": f"/realms/{realm.name}/account/consents",
        "console": "/admin/",
        "console login": "/admin/login/",
        "not found": "/no-such-page",
        "unknown realm": "/realms/no-such-realm/login",
        "token": endpoint(realm, "token"),
        "jwks": endpoint(realm, "certs"),
        "discovery": f"/realms/{realm.name}/.well-known/openid-configuration",
        "health": "/healthz",
    }


def test_it_sends_the_content_security_policy_on_every_page_over_http(client):
    realm = make_realm()
    for name, url in _pages(realm).items():
        policy = client.get(url)["Content-Security-Policy"]
        for directive in REQUIRED_DIRECTIVES:
            assert directive in policy, (name, policy)


def test_it_sends_no_referrer_from_the_authorization_login_and_consent_pages(client):
    realm = make_realm()
    user = make_user(realm)
    consent_client(realm)
    authorization = client.get(authorize_url(realm, **authorize_params()))
    login_page = client.get(authorization["Location"])
    logged_in = client.post(
        authorization["Location"], {"username": user.username, "password": PASSWORD}
    )
    consent_page = client.get(logged_in["Location"])

    assert authorization.status_code == logged_in.status_code == 302
    assert b'name="decision"' in consent_page.content
    for response in (authorization, login_page, logged_in, consent_page):
        assert response["Referrer-Policy"] == "no-referrer"
    # Pages whose address carries nothing of a request keep the site's policy.
    assert client.get(f"/realms/{realm.name}/account")["Referrer-Policy"] == "same-origin"


def _csrf_token(page) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)[1].decode()


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_it_accepts_its_own_login_form_posted_with_origin_null(secure):
    """What a browser sends from a no-referrer page (Fetch: the Origin is serialized as null)."""
    realm = make_realm()
    user = make_user(realm)
    browser = Client(enforce_csrf_checks=True)
    url = f"/realms/{realm.name}/login"
    token = _csrf_token(browser.get(url, secure=secure))
    form = {"username": user.username, "password": PASSWORD}

    without_token = browser.post(url, form, secure=secure, HTTP_ORIGIN="null")
    foreign = browser.post(
        url,
        {**form, "csrfmiddlewaretoken": token},
        secure=secure,
        HTTP_ORIGIN="https://evil.example",
    )
    accepted = browser.post(
        url, {**form, "csrfmiddlewaretoken": token}, secure=secure, HTTP_ORIGIN="null"
    )

    assert without_token.status_code == 403
    assert foreign.status_code == 403
    assert accepted.status_code == 302, accepted.content[:300]


def test_it_accepts_its_own_consent_form_posted_with_origin_null():
    realm = make_realm()
    user = make_user(realm)
    consent_client(realm)
    browser = Client(enforce_csrf_checks=True)
    login_url = f"/realms/{realm.name}/login"
    browser.post(
        login_url,
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": _csrf_token(browser.get(login_url)),
        },
        HTTP_ORIGIN="null",
    )
    url = authorize_url(realm, **authorize_params())
    page = browser.get(url)
    decision = {"decision": "allow", "csrfmiddlewaretoken": _csrf_token(page)}

    foreign = browser.post(url, decision, HTTP_ORIGIN="https://evil.example")
    accepted = browser.post(url, decision, HTTP_ORIGIN="null")

    assert foreign.status_code == 403
    assert accepted.status_code == 302
    assert "code=" in accepted["Location"]


@pytest.mark.parametrize(("cookie_name", "status"), [("__Host-csrftoken", 302), ("csrftoken", 403)])
def test_it_lets_the_token_decide_a_login_over_https_without_origin_or_referer(cookie_name, status):
    """An older browser's POST from a no-referrer page: no Origin, no Referer. Without the
    __Host- cookie name, Django's Referer check stays (a planted cookie could match a token)."""
    realm = make_realm()
    user = make_user(realm)
    with override_settings(CSRF_COOKIE_NAME=cookie_name):
        browser = Client(enforce_csrf_checks=True)
        url = f"/realms/{realm.name}/login"
        token = _csrf_token(browser.get(url, secure=True))
        response = browser.post(
            url,
            {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            secure=True,
        )
    assert response.status_code == status
