import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as Browser

from accounts import sessions
from accounts.models import Event, UserSession
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db


def login_url(realm):
    return f"/realms/{realm.name}/login"


def post_login(browser, realm, username, password, **extra):
    return browser.post(login_url(realm), {"username": username, "password": password, **extra})


def test_it_shows_a_login_form_branded_with_the_realm(client):
    realm = make_realm(display_name="Acme Corp")
    response = client.get(login_url(realm))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Corp" in body
    assert 'name="username"' in body and 'name="password"' in body
    assert 'type="submit"' in body
    assert "<script" not in body


def test_it_logs_in_and_starts_an_sso_session(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    response = post_login(client, realm, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == f"/realms/{realm.name}/account"
    cookie = response.cookies[sessions.COOKIE_NAME]
    assert cookie["httponly"] and cookie["path"] == f"/realms/{realm.name}/"
    assert UserSession.objects.filter(user=user, ended=None).count() == 1
    page = client.get(f"/realms/{realm.name}/account")
    assert page.status_code == 200 and "alice" in page.content.decode()


def test_it_records_the_address_a_trusted_proxy_forwards(settings):
    settings.AUTHSERVER_FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    realm = make_realm()
    user = make_user(realm, "alice")
    browser = Browser(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert post_login(browser, realm, "alice", PASSWORD).status_code == 302
    assert post_login(browser, realm, "alice", "wrong").status_code == 200

    assert UserSession.objects.get(user=user).ip_address == "203.0.113.7"
    assert set(Event.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_it_writes_no_django_session_for_a_login_that_completes_at_once(client):
    # The SSO session has a cookie of its own; the Django session only ever held the login's
    # steps, and a login without a second factor or a required action has no step left.
    realm = make_realm()
    make_user(realm, "alice")

    response = post_login(client, realm, "alice", PASSWORD)

    assert response.status_code == 302 and sessions.COOKIE_NAME in response.cookies
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


def test_it_ends_a_django_session_the_browser_had_when_the_login_completes(client):
    realm = make_realm()
    make_user(realm, "alice")
    planted = client.session
    planted["visited"] = True
    planted.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key

    response = post_login(client, realm, "alice", PASSWORD)

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    assert response.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key


def test_it_rotates_the_session_id_at_every_login(client):
    realm = make_realm()
    make_user(realm, "alice")
    first = post_login(client, realm, "alice", PASSWORD).cookies[sessions.COOKIE_NAME].value
    second = post_login(client, realm, "alice", PASSWORD).cookies[sessions.COOKIE_NAME].value
    assert first != second
    assert UserSession.objects.filter(ended=None).count() == 1


@pytest.mark.parametrize(
    "username, password, enabled",
    [("alice", "wrong-password", True), ("nobody", PASSWORD, True), ("alice", PASSWORD, False)],
    ids=["wrong-password", "unknown-user", "disabled-user"],
)
def test_it_gives_the_same_answer_for_every_failed_login(client, username, password, enabled):
    realm = make_realm()
    make_user(realm, "alice", is_active=enabled)
    response = post_login(client, realm, username, password)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Invalid username or password." in body
    assert sessions.COOKIE_NAME not in response.cookies
    assert not UserSession.objects.exists()


def test_it_rejects_a_post_without_csrf_token():
    realm = make_realm()
    make_user(realm, "alice")
    browser = Browser(enforce_csrf_checks=True)
    response = post_login(browser, realm, "alice", PASSWORD)
    assert response.status_code == 403
    assert not UserSession.objects.exists()


def test_it_accepts_a_post_with_the_csrf_token_of_the_form():
    realm = make_realm()
    make_user(realm, "alice")
    browser = Browser(enforce_csrf_checks=True)
    browser.get(login_url(realm))
    token = browser.cookies["csrftoken"].value
    response = post_login(browser, realm, "alice", PASSWORD, csrfmiddlewaretoken=token)
    assert response.status_code == 302


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "/realms/other/account",
        "/realms/demo/../other/account",
        "/realms/demo/%2e%2e/other/account",
        "javascript:alert(1)",
        "/admin/",
    ],
)
def test_it_never_redirects_outside_the_realm(client, next_url):
    realm = make_realm("demo")
    make_user(realm, "alice")
    response = post_login(client, realm, "alice", PASSWORD, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/realms/demo/account"


def test_it_follows_next_inside_the_realm(client):
    realm = make_realm("demo")
    make_user(realm, "alice")
    target = "/realms/demo/protocol/openid-connect/auth?client_id=x&state=1"
    response = post_login(client, realm, "alice", PASSWORD, next=target)
    assert response["Location"] == target


def test_it_keeps_realms_apart_for_the_same_username(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_user(realm_a, "alice", password="Password-A-1")
    make_user(realm_b, "alice", password="Password-B-2")
    response = post_login(client, realm_b, "alice", "Password-A-1")
    assert "Invalid username or password." in response.content.decode()
    assert not UserSession.objects.exists()
    assert post_login(client, realm_b, "alice", "Password-B-2").status_code == 302


def test_it_does_not_carry_a_session_into_another_realm(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_user(realm_a, "alice")
    post_login(client, realm_a, "alice", PASSWORD)
    response = client.get(f"/realms/{realm_b.name}/account")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_it_answers_404_for_a_disabled_or_unknown_realm(client):
    realm = make_realm(enabled=False)
    make_user(realm, "alice")
    assert client.get(login_url(realm)).status_code == 404
    assert post_login(client, realm, "alice", PASSWORD).status_code == 404
    assert client.get("/realms/no-such-realm/login").status_code == 404


def test_it_rejects_a_form_without_fields(client):
    realm = make_realm()
    assert client.post(login_url(realm), {}).status_code == 400


def test_it_logs_out(client):
    realm = make_realm()
    make_user(realm, "alice")
    post_login(client, realm, "alice", PASSWORD)
    assert client.get(f"/realms/{realm.name}/logout").status_code == 200
    response = client.post(f"/realms/{realm.name}/logout")
    assert response.status_code == 302
    assert UserSession.objects.get().ended is not None
    assert client.get(f"/realms/{realm.name}/account").status_code == 302


def test_it_locks_out_after_the_failure_factor_when_brute_force_protected(client):
    realm = make_realm(brute_force_protected=True, failure_factor=3)
    make_user(realm, "alice")
    for _ in range(3):
        post_login(client, realm, "alice", "wrong")
    response = post_login(client, realm, "alice", PASSWORD)
    assert "Invalid username or password." in response.content.decode()
    assert not UserSession.objects.exists()


def test_it_records_logins_and_failures_in_the_audit_log(client):
    from accounts.models import Event

    realm = make_realm()
    make_user(realm, "alice")
    post_login(client, realm, "alice", "wrong")
    post_login(client, realm, "alice", PASSWORD)
    failure, success = Event.objects.filter(realm=realm).order_by("id")
    assert (failure.type, failure.username, failure.error) == (
        "LOGIN_ERROR",
        "alice",
        "invalid_user_credentials",
    )
    assert (success.type, success.user.username) == ("LOGIN", "alice")
    # Written with the SSO session it names (accounts/rows.create_all).
    session = UserSession.objects.get(user__username="alice")
    assert success.details == {"sid": str(session.sid), "amr": ["pwd"]}
    assert failure.ip_address == "127.0.0.1"
    assert "wrong" not in str(failure.details)
