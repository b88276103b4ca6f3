"""Keycloak's logout by refresh token: POST .../logout with the client's credentials and one of
its refresh tokens, as Keycloak's adapters and python-keycloak's ``logout`` send it."""

import pytest

from accounts.models import UserSession
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    assert_invalid_grant,
    authorize_and_get_code,
    basic,
    endpoint,
    exchange_code,
    make_web_client,
    post_form,
    refresh,
    tokens_for,
    userinfo_status,
)

pytestmark = pytest.mark.django_db


def signed_in(http, realm, *, scope="openid", scopes=("openid",)):
    make_web_client(realm, scopes=list(scopes))
    user = make_user(realm, "alice")
    return tokens_for(http, realm, user, scope=scope)


def logout(http, realm, refresh_token, *, client_id="app", secret=SECRET, **headers):
    """As python-keycloak's KeycloakOpenID.logout sends it: all in the form."""
    form = {"client_id": client_id, "refresh_token": refresh_token}
    if secret is not None:
        form["client_secret"] = secret
    return post_form(http, endpoint(realm, "logout"), form, **headers)


def assert_refused(response, error="invalid_grant"):
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error
    assert "no-store" in response["Cache-Control"]


def assert_session_alive(http, realm, tokens):
    assert UserSession.objects.get().ended is None
    assert refresh(http, realm, tokens["refresh_token"]).status_code == 200


def test_it_ends_the_session_and_answers_204_without_a_body(client):
    realm = make_realm()
    tokens = signed_in(client, realm)
    response = logout(client, realm, tokens["refresh_token"])
    assert response.status_code == 204, response.content
    assert response.content == b""
    assert "no-store" in response["Cache-Control"]
    assert UserSession.objects.get().ended is not None
    assert_invalid_grant(refresh(client, realm, tokens["refresh_token"]))
    assert userinfo_status(client, realm, tokens["access_token"]) == 401


def test_it_accepts_client_secret_basic(client):
    realm = make_realm()
    tokens = signed_in(client, realm)
    response = post_form(
        client,
        endpoint(realm, "logout"),
        {"refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic("app", SECRET),
    )
    assert response.status_code == 204, response.content
    assert UserSession.objects.get().ended is not None


def test_it_lets_a_public_client_name_itself(client):
    realm = make_realm()
    make_web_client(realm, public=True, scopes=["openid"])
    user = make_user(realm, "alice")
    code = authorize_and_get_code(client, realm, user, scope="openid")
    tokens = exchange_code(client, realm, code, secret=None).json()
    response = logout(client, realm, tokens["refresh_token"], secret=None)
    assert response.status_code == 204, response.content
    assert UserSession.objects.get().ended is not None


def test_it_refuses_a_wrong_secret_with_invalid_client(client):
    realm = make_realm()
    tokens = signed_in(client, realm)
    response = logout(client, realm, tokens["refresh_token"], secret="wrong-" + "x" * 40)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in response
    assert_session_alive(client, realm, tokens)


def test_it_refuses_a_confidential_client_without_its_secret(client):
    realm = make_realm()
    tokens = signed_in(client, realm)
    response = logout(client, realm, tokens["refresh_token"], secret=None)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert_session_alive(client, realm, tokens)


def test_it_refuses_the_refresh_token_of_another_client(client):
    realm = make_realm()
    tokens = signed_in(client, realm)
    make_web_client(realm, "other")
    response = logout(client, realm, tokens["refresh_token"], client_id="other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert_session_alive(client, realm, tokens)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"], ids=["empty", "garbage", "not-ours"])
def test_it_refuses_what_is_not_a_refresh_token(client, token):
    realm = make_realm()
    tokens = signed_in(client, realm)
    response = logout(client, realm, token)
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}
    assert_session_alive(client, realm, tokens)


def test_it_refuses_an_access_token_in_place_of_the_refresh_token(client):
    realm = make_realm()
    tokens = signed_in(client, realm)
    assert_refused(logout(client, realm, tokens["access_token"]))
    assert_session_alive(client, realm, tokens)


def test_it_validates_ownership(client):
    """The same client id in another realm cannot end this realm's session."""
    realm, charlie = make_realm(), make_realm()
    tokens = signed_in(client, realm)
    make_web_client(charlie)
    assert_refused(logout(client, charlie, tokens["refresh_token"]))
    assert_session_alive(client, realm, tokens)


def test_it_answers_204_again_once_the_session_has_ended(client):
    realm = make_realm()
    tokens = signed_in(client, realm)
    assert logout(client, realm, tokens["refresh_token"]).status_code == 204
    assert logout(client, realm, tokens["refresh_token"]).status_code == 204


def test_it_ends_an_offline_grant_by_its_offline_token(client):
    realm = make_realm()
    tokens = signed_in(
        client, realm, scope="openid offline_access", scopes=("openid", "offline_access")
    )
    response = logout(client, realm, tokens["refresh_token"])
    assert response.status_code == 204, response.content
    assert_invalid_grant(refresh(client, realm, tokens["refresh_token"]))
