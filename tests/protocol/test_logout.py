from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from accounts import sessions
from accounts.models import UserSession
from tests.factories import make_realm, make_user
from tests.protocol.helpers import endpoint, make_web_client, refresh, tokens_for

pytestmark = pytest.mark.django_db

BYE = "https://app.example/bye"


def logout_url(realm, **params) -> str:
    return endpoint(realm, "logout") + "?" + urlencode(params)


def signed_in(client, realm, **params):
    make_web_client(realm, post_logout_redirect_uris=BYE, scopes=["openid"])
    user = make_user(realm, "alice")
    return user, tokens_for(client, realm, user, scope="openid", **params)


def test_it_logs_out_at_once_with_a_valid_id_token_hint(client):
    realm = make_realm()
    _, tokens = signed_in(client, realm)
    response = client.get(
        logout_url(
            realm, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE, state="s-1"
        )
    )
    assert response.status_code == 302
    assert response["Location"].startswith(BYE)
    assert parse_qs(urlsplit(response["Location"]).query) == {"state": ["s-1"]}
    assert response.cookies[sessions.COOKIE_NAME].value == ""
    assert UserSession.objects.get().ended is not None


def test_it_ends_the_refresh_tokens_of_the_session(client):
    realm = make_realm()
    _, tokens = signed_in(client, realm)
    client.get(logout_url(realm, id_token_hint=tokens["id_token"]))
    response = refresh(client, realm, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_it_keeps_offline_tokens_alive(client):
    realm = make_realm()
    make_web_client(realm, post_logout_redirect_uris=BYE, scopes=["openid", "offline_access"])
    user = make_user(realm, "alice")
    tokens = tokens_for(client, realm, user, scope="openid offline_access")
    client.get(logout_url(realm, id_token_hint=tokens["id_token"]))
    assert UserSession.objects.get(user=user).ended is not None
    response = refresh(client, realm, tokens["refresh_token"])
    assert response.status_code == 200, response.content


def test_it_asks_for_confirmation_without_a_hint(client):
    realm = make_realm()
    signed_in(client, realm)
    response = client.get(logout_url(realm, client_id="app", post_logout_redirect_uri=BYE))
    assert response.status_code == 200
    assert 'name="confirm"' in response.content.decode()
    assert UserSession.objects.get().ended is None

    confirmed = client.post(
        endpoint(realm, "logout"),
        {"client_id": "app", "post_logout_redirect_uri": BYE, "state": "x", "confirm": "yes"},
    )
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"{BYE}?state=x"
    assert UserSession.objects.get().ended is not None


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "app", "post_logout_redirect_uri": "https://evil.example/"},
        {"post_logout_redirect_uri": BYE},
        {"client_id": "nobody", "post_logout_redirect_uri": BYE},
        {"id_token_hint": "garbage"},
    ],
    ids=["unregistered-uri", "uri-without-client", "unknown-client", "bad-hint"],
)
def test_it_never_redirects_on_a_bad_request(client, params):
    realm = make_realm()
    signed_in(client, realm)
    response = client.get(logout_url(realm, **params))
    assert response.status_code == 400
    assert "Location" not in response
    assert UserSession.objects.get().ended is None


def test_it_refuses_a_hint_for_another_client(client):
    realm = make_realm()
    _, tokens = signed_in(client, realm)
    make_web_client(realm, "other", post_logout_redirect_uris=BYE)
    response = client.get(logout_url(realm, id_token_hint=tokens["id_token"], client_id="other"))
    assert response.status_code == 400


def test_it_refuses_a_hint_from_another_realm(client):
    realm, charlie = make_realm(), make_realm()
    _, tokens = signed_in(client, realm)
    make_web_client(charlie, post_logout_redirect_uris=BYE)
    response = client.get(logout_url(charlie, id_token_hint=tokens["id_token"]))
    assert response.status_code == 400
    assert UserSession.objects.get().ended is None


def test_it_requires_csrf_for_the_confirmation(client):
    from django.test import Client as Browser

    realm = make_realm()
    signed_in(client, realm)
    browser = Browser(enforce_csrf_checks=True)
    browser.cookies = client.cookies
    response = browser.post(endpoint(realm, "logout"), {"client_id": "app", "confirm": "yes"})
    assert response.status_code == 403
    assert UserSession.objects.get().ended is None


def test_it_shows_a_signed_out_page_without_a_redirect_uri(client):
    realm = make_realm()
    _, tokens = signed_in(client, realm)
    response = client.get(logout_url(realm, id_token_hint=tokens["id_token"]))
    assert response.status_code == 200
    assert "signed out" in response.content.decode()


def test_it_refuses_an_access_token_as_the_hint(client):
    realm = make_realm()
    _, tokens = signed_in(client, realm)
    response = client.get(logout_url(realm, id_token_hint=tokens["access_token"]))
    assert response.status_code == 400
    assert "Location" not in response
    assert UserSession.objects.get().ended is None
