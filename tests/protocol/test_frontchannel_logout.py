"""OpenID Connect Front-Channel Logout 1.0 at the end-session endpoint: the signed-out page
frames each front-channel client of the ended session (with iss and sid when it wants them),
goes on to the post-logout redirect URI by itself, and may frame those origins only."""

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from accounts import sessions
from accounts.models import UserSession
from tests.factories import make_realm, make_user
from tests.protocol.helpers import endpoint, make_web_client, tokens_for, verify

pytestmark = pytest.mark.django_db

BYE = "https://app.example/bye"
APP_FRONT = "https://app.example/frontchannel-logout"
SHOP_FRONT = "https://shop.example:8443/logout?from=op"


def front(url: str, *, session_required: bool = True) -> dict:
    attributes = {"frontchannel.logout": "true", "frontchannel.logout.url": url}
    if not session_required:
        attributes["frontchannel.logout.session.required"] = "false"
    return attributes


def logout_url(realm, **params) -> str:
    return endpoint(realm, "logout") + "?" + urlencode(params)


def frames_of(response) -> list[str]:
    return [html.unescape(src) for src in re.findall(r'<iframe src="([^"]*)"', response.text)]


def refresh_target(response) -> str | None:
    found = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]*)">', response.text)
    return html.unescape(found.group(1)) if found else None


def signed_in_to_both(client, realm, *, shop_attributes):
    """alice signed in to app, then (single sign-on, the same session) to shop."""
    make_web_client(
        realm, post_logout_redirect_uris=BYE, scopes=["openid"], attributes=front(APP_FRONT)
    )
    make_web_client(realm, "shop", scopes=["openid"], attributes=shop_attributes)
    alice = make_user(realm, "alice")
    tokens = tokens_for(client, realm, alice, scope="openid")
    tokens_for(client, realm, alice, "shop", scope="openid")
    assert UserSession.objects.count() == 1
    return tokens


def test_it_frames_each_front_channel_client_of_the_session_then_goes_on(client):
    realm = make_realm()
    tokens = signed_in_to_both(client, realm, shop_attributes=front(SHOP_FRONT))
    sid = verify(client, realm, tokens["id_token"])["sid"]

    response = client.get(
        logout_url(realm, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE, state="s")
    )

    assert response.status_code == 200
    app, shop = frames_of(response)
    assert app.startswith(APP_FRONT + "?")
    assert parse_qs(urlsplit(app).query) == {"iss": [realm.issuer], "sid": [sid]}
    # Appended to the URL's own query (Front-Channel Logout 1.0 §3).
    assert shop.startswith(SHOP_FRONT + "&")
    assert parse_qs(urlsplit(shop).query) == {"from": ["op"], "iss": [realm.issuer], "sid": [sid]}
    assert refresh_target(response) == f"{BYE}?state=s"
    assert f'<a id="continue" href="{BYE}?state=s">Continue</a>' in response.text
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["Content-Security-Policy"].endswith(
        "; frame-src https://app.example https://shop.example:8443"
    )
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response.cookies[sessions.COOKIE_NAME].value == ""
    assert UserSession.objects.get().ended is not None


def test_it_leaves_iss_and_sid_out_for_a_client_that_does_not_want_them(client):
    realm = make_realm()
    tokens = signed_in_to_both(
        client, realm, shop_attributes=front(SHOP_FRONT, session_required=False)
    )

    response = client.get(logout_url(realm, id_token_hint=tokens["id_token"]))

    assert frames_of(response)[1] == SHOP_FRONT


def test_it_frames_no_client_without_front_channel_logout_on(client):
    realm = make_realm()
    tokens = signed_in_to_both(
        client, realm, shop_attributes={"frontchannel.logout.url": SHOP_FRONT}
    )

    response = client.get(logout_url(realm, id_token_hint=tokens["id_token"]))

    assert [urlsplit(src).netloc for src in frames_of(response)] == ["app.example"]
    assert response["Content-Security-Policy"].endswith("; frame-src https://app.example")


def test_it_frames_only_the_clients_of_the_ended_session(client):
    realm = make_realm()
    make_web_client(
        realm, post_logout_redirect_uris=BYE, scopes=["openid"], attributes=front(APP_FRONT)
    )
    make_web_client(realm, "shop", scopes=["openid"], attributes=front(SHOP_FRONT))
    tokens = tokens_for(client, realm, make_user(realm, "alice"), scope="openid")
    # A second realm with a client of the same name and a front-channel URL: never framed.
    other = make_realm()
    make_web_client(other, scopes=["openid"], attributes=front("https://other.example/fc"))

    response = client.get(logout_url(realm, id_token_hint=tokens["id_token"]))

    assert [urlsplit(src).netloc for src in frames_of(response)] == ["app.example"]


def test_it_redirects_as_before_when_no_client_wants_front_channel_logout(client):
    realm = make_realm()
    make_web_client(realm, post_logout_redirect_uris=BYE, scopes=["openid"])
    tokens = tokens_for(client, realm, make_user(realm, "alice"), scope="openid")

    response = client.get(
        logout_url(realm, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE)
    )

    assert response.status_code == 302
    assert response["Location"] == BYE
    assert "frame-src" not in response["Content-Security-Policy"]


def test_it_frames_then_says_signed_out_without_a_redirect_uri(client):
    realm = make_realm()
    tokens = signed_in_to_both(client, realm, shop_attributes={})

    response = client.get(logout_url(realm, id_token_hint=tokens["id_token"]))

    assert response.status_code == 200
    assert len(frames_of(response)) == 1
    assert refresh_target(response) is None
    assert "Sign in again" in response.text


def test_it_frames_after_the_confirmation_too(client):
    realm = make_realm()
    signed_in_to_both(client, realm, shop_attributes=front(SHOP_FRONT))
    asked = client.get(logout_url(realm, client_id="app", post_logout_redirect_uri=BYE))
    assert 'name="confirm"' in asked.text

    response = client.post(
        endpoint(realm, "logout"),
        {"client_id": "app", "post_logout_redirect_uri": BYE, "confirm": "yes"},
    )

    assert len(frames_of(response)) == 2
    assert refresh_target(response) == BYE


def test_a_browser_without_a_session_is_framed_nowhere(client):
    realm = make_realm()
    tokens = signed_in_to_both(client, realm, shop_attributes=front(SHOP_FRONT))
    client.cookies.clear()

    response = client.get(
        logout_url(realm, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE)
    )

    assert response.status_code == 302
    assert UserSession.objects.get().ended is None
