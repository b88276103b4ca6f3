"""The SSO cookie against cookie tossing: a cookie of the same name set for another path or by
a sibling subdomain must neither log the user out nor make the login loop; over https the
cookie's name has the __Host- prefix, which no such cookie can take."""

import pytest
from django.test import Client, override_settings

from accounts import sessions
from accounts.models import UserSession
from tests.factories import PASSWORD, make_realm, make_user
from tests.protocol.helpers import REDIRECT_URI, authorize_params, authorize_url, make_web_client

pytestmark = pytest.mark.django_db

PLANTED = "planted-by-a-sibling-subdomain"


def log_in(browser, realm, user, **extra):
    response = browser.post(
        f"/realms/{realm.name}/login",
        {"username": user.username, "password": PASSWORD},
        **extra,
    )
    assert response.status_code == 302, response.content[:300]
    return response


def authorize(realm, cookie_header: str, **extra):
    """The authorization request a browser sends with exactly this Cookie header."""
    return Client().get(
        authorize_url(realm, **authorize_params()), HTTP_COOKIE=cookie_header, **extra
    )


@pytest.mark.parametrize("planted_first", [True, False], ids=["planted-first", "planted-last"])
def test_it_finds_its_session_beside_a_planted_cookie_of_the_same_name(planted_first):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    own = log_in(Client(), realm, user).cookies[sessions.COOKIE_NAME].value
    cookies = [f"{sessions.COOKIE_NAME}={PLANTED}", f"{sessions.COOKIE_NAME}={own}"]
    header = "; ".join(cookies if planted_first else reversed(cookies))

    response = authorize(realm, header)

    # Straight back to the client with a code: no detour through the login page.
    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI + "?code=")
    account = Client().get(f"/realms/{realm.name}/account", HTTP_COOKIE=header)
    assert account.status_code == 200
    assert user.username in account.content.decode()


def test_it_ends_its_own_session_at_logout_beside_a_planted_cookie():
    realm = make_realm()
    user = make_user(realm)
    own = log_in(Client(), realm, user).cookies[sessions.COOKIE_NAME].value
    header = f"{sessions.COOKIE_NAME}={own}; {sessions.COOKIE_NAME}={PLANTED}"

    Client().post(f"/realms/{realm.name}/logout", HTTP_COOKIE=header)

    assert UserSession.objects.get(user=user).ended is not None


@override_settings(SECURE=True)
def test_it_names_the_cookie_with_the_host_prefix_over_https():
    realm, other = make_realm(), make_realm()
    user, stranger = make_user(realm), make_user(other)
    make_web_client(realm)
    browser = Client()

    cookie = log_in(browser, realm, user, secure=True).cookies[
        f"__Host-AUTHSERVER_SESSION_{realm.name}"
    ]
    log_in(browser, other, stranger, secure=True)

    assert cookie["secure"] and cookie["httponly"]
    assert cookie["path"] == "/" and not cookie["domain"]
    # A planted cookie cannot take a __Host- name; one of the plain name is not ours to read.
    header = f"{sessions.COOKIE_NAME}={PLANTED}; {cookie.key}={cookie.value}"
    response = authorize(realm, header, secure=True)
    assert response["Location"].startswith(REDIRECT_URI + "?code=")
    # Two realms at once, each with its own cookie.
    assert browser.get(f"/realms/{other.name}/account", secure=True).status_code == 200
    assert browser.get(f"/realms/{realm.name}/account", secure=True).status_code == 200
    # The plain name alone no longer signs anyone in.
    plain = authorize(realm, f"{sessions.COOKIE_NAME}={cookie.value}", secure=True)
    assert plain["Location"].startswith(f"/realms/{realm.name}/login")
