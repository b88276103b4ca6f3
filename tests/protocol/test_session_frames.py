"""The pages keycloak-js frames: the third-party cookies check and the login-status iframe
(OIDC Session Management 1.0), framable by the realm's web origins only, and the session state
they read."""

import pytest
from django.test import override_settings

from accounts import sessions
from accounts.models import UserSession
from tests.factories import make_client, make_realm, make_user
from tests.protocol.helpers import endpoint, login

pytestmark = pytest.mark.django_db

SPA = "https://spa.example"
OTHER = "https://other.example"
PAGES = ("3p-cookies/step1.html", "3p-cookies/step2.html", "login-status-iframe.html")


def policy(response) -> dict[str, str]:
    found = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, _, value = directive.strip().partition(" ")
        found[name] = value
    return found


def realm_with_spa():
    realm = make_realm()
    make_client(realm, "spa", client_type="public", secret="", allowed_origins=SPA)
    make_client(realm, "other", client_type="public", secret="", allowed_origins=OTHER)
    return realm


@pytest.mark.parametrize("page", PAGES)
def test_it_lets_only_the_realms_web_origins_frame_the_page(client, page):
    realm = realm_with_spa()
    make_client(make_realm(), "charlie", client_type="public", allowed_origins="https://c.example")

    response = client.get(endpoint(realm, page))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "X-Frame-Options" not in response
    csp = policy(response)
    assert csp["frame-ancestors"].split() == [OTHER, SPA]
    assert csp["script-src"] == "'self'"
    assert csp["default-src"] == "'none'"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", PAGES)
def test_it_lets_no_site_frame_the_page_of_a_realm_without_web_origins(client, page):
    realm = make_realm()

    response = client.get(endpoint(realm, page))

    assert policy(response)["frame-ancestors"] == "'none'"


def test_it_names_the_session_state_cookie_in_the_login_status_iframe(client):
    realm = make_realm()

    response = client.get(endpoint(realm, "login-status-iframe.html"))

    assert f'data-cookie="{sessions.STATE_COOKIE_NAME}"' in response.content.decode()
    assert "/static/authserver/login_status_iframe.js" in response.content.decode()


def init(client, realm, **query):
    return client.get(endpoint(realm, "login-status-iframe.html/init"), query)


def test_it_confirms_a_web_origin_of_the_client_at_init(client):
    realm = realm_with_spa()

    assert init(client, realm, client_id="spa", origin=SPA).status_code == 204


@pytest.mark.parametrize(
    "query",
    [
        {"client_id": "spa", "origin": OTHER},
        {"client_id": "spa", "origin": "https://evil.example"},
        {"client_id": "spa", "origin": "*"},
        {"client_id": "nobody", "origin": SPA},
        {"client_id": "spa"},
        {"origin": SPA},
    ],
)
def test_it_refuses_any_other_origin_or_client_at_init(client, query):
    realm = realm_with_spa()

    assert init(client, realm, **query).status_code == 403


def test_it_refuses_a_client_of_another_realm_at_init(client):
    realm_with_spa()
    charlie = make_realm()

    assert init(client, charlie, client_id="spa", origin=SPA).status_code == 403


def test_it_gives_the_browser_a_readable_session_state_at_login(client):
    realm = make_realm()
    user = make_user(realm)

    response = login(client, realm, user.username)

    state = response.cookies[sessions.STATE_COOKIE_NAME]
    assert state.value == str(UserSession.objects.get(user=user).sid)
    assert not state["httponly"]
    assert state["path"] == f"/realms/{realm.name}/"
    assert state["samesite"] == "Lax"
    assert response.cookies[sessions.COOKIE_NAME]["httponly"]


@override_settings(SECURE=True)
def test_it_lets_a_cross_site_frame_read_the_session_state_over_https(client):
    realm = make_realm()
    user = make_user(realm)

    response = login(client, realm, user.username)

    state = response.cookies[f"__Host-{sessions.STATE_COOKIE_NAME}_{realm.name}"]
    assert state["samesite"] == "None"
    assert state["secure"]
    assert state["path"] == "/"


def test_it_removes_the_session_state_at_logout(client):
    realm = make_realm()
    user = make_user(realm)
    login(client, realm, user.username)

    response = client.post(endpoint(realm, "logout"), {"confirm": "yes"})

    assert response.cookies[sessions.STATE_COOKIE_NAME].value == ""


def test_it_gives_the_session_state_back_at_authorization_when_the_browser_lost_it(client):
    from tests.protocol.helpers import authorize_params, authorize_url, make_web_client

    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    login(client, realm, user.username)
    del client.cookies[sessions.STATE_COOKIE_NAME]

    response = client.get(authorize_url(realm, **authorize_params()))

    assert response.status_code == 302
    state = response.cookies[sessions.STATE_COOKIE_NAME]
    assert state.value == str(UserSession.objects.get(user=user).sid)
    assert not state["httponly"]
    again = client.get(authorize_url(realm, **authorize_params()))
    assert sessions.STATE_COOKIE_NAME not in again.cookies


@pytest.mark.parametrize("client_id", ["spa\x00", "x" * 10_000])
def test_it_refuses_an_unstorable_client_id_at_init_without_a_server_error(client, client_id):
    realm = realm_with_spa()

    assert init(client, realm, client_id=client_id, origin=SPA).status_code in (400, 403)
