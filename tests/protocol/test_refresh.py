from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import ClientScope, UserSession
from authserver.models import RefreshToken
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    assert_invalid_grant,
    authorize_and_get_code,
    exchange_code,
    make_web_client,
    postgres_only,
    refresh,
    refresh_claims,
    run_together,
    tokens_for,
    userinfo_status,
    verify,
)

pytestmark = pytest.mark.django_db


def web_client_with_offline_access(realm, client_id="app", **fields):
    app = make_web_client(realm, client_id, scopes=("profile",), **fields)
    app.optional_client_scopes.add(ClientScope.objects.get(realm=realm, name="offline_access"))
    return app


# --- rotation -----------------------------------------------------------------------------------
def test_it_rotates_the_refresh_token_on_every_use(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, scopes=("profile",))
    first = tokens_for(client, realm, user, scope="openid")

    response = refresh(client, realm, first["refresh_token"])

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    second = response.json()
    assert second["token_type"] == "Bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["expires_in"] == realm.access_token_lifespan
    assert second["refresh_expires_in"] > 0
    assert set(second["scope"].split()) == {"openid", "profile"}
    old, new = (refresh_claims(body["refresh_token"]) for body in (first, second))
    assert new["typ"] == "Refresh"
    assert new["jti"] != old["jti"]
    assert new["sid"] == old["sid"]
    # The next rotation works from the new token.
    assert refresh(client, realm, second["refresh_token"]).status_code == 200


def test_it_issues_a_fresh_id_token_of_the_same_authentication(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    first = tokens_for(client, realm, user, scope="openid", nonce="n-1")

    second = refresh(client, realm, first["refresh_token"]).json()

    before, after = (verify(client, realm, body["id_token"]) for body in (first, second))
    for claim in ("iss", "sub", "aud", "azp", "auth_time", "sid"):
        assert after[claim] == before[claim]
    assert after["typ"] == "ID"
    assert after["jti"] != before["jti"]


def test_it_refuses_a_replayed_refresh_token_and_revokes_the_family(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    first = tokens_for(client, realm, user)
    second = refresh(client, realm, first["refresh_token"]).json()

    assert_invalid_grant(refresh(client, realm, first["refresh_token"]))

    # The replay revoked the token the legitimate client holds as well.
    assert_invalid_grant(refresh(client, realm, second["refresh_token"]))
    assert not RefreshToken.objects.filter(user=user, revoked__isnull=True).exists()


def test_it_ends_the_access_tokens_of_a_replayed_family(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    first = tokens_for(client, realm, user, scope="openid")
    second = refresh(client, realm, first["refresh_token"]).json()
    third = refresh(client, realm, second["refresh_token"]).json()
    assert userinfo_status(client, realm, third["access_token"]) == 200

    assert_invalid_grant(refresh(client, realm, first["refresh_token"]))

    for issued in (first, second, third):
        assert userinfo_status(client, realm, issued["access_token"]) == 401
    assert_invalid_grant(refresh(client, realm, third["refresh_token"]))


def test_it_leaves_the_family_alone_for_a_token_it_did_not_sign(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    first = tokens_for(client, realm, user)
    second = refresh(client, realm, first["refresh_token"]).json()
    header, payload, _ = first["refresh_token"].split(".")
    forged = f"{header}.{payload}.{'A' * 43}"  # the replayed token's claims, not our signature

    assert_invalid_grant(refresh(client, realm, forged))

    assert refresh(client, realm, second["refresh_token"]).status_code == 200


def test_it_keeps_other_grants_of_the_user_when_revoking_a_family(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    stolen = tokens_for(client, realm, user)
    other = tokens_for(client, realm, user)
    refresh(client, realm, stolen["refresh_token"])

    assert_invalid_grant(refresh(client, realm, stolen["refresh_token"]))

    assert refresh(client, realm, other["refresh_token"]).status_code == 200


# --- bound to client and realm -----------------------------------------------------------------
def test_it_binds_the_refresh_token_to_its_client(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "app")
    make_web_client(realm, "other")
    body = tokens_for(client, realm, user, "app")

    assert_invalid_grant(refresh(client, realm, body["refresh_token"], client_id="other"))

    assert refresh(client, realm, body["refresh_token"]).status_code == 200


def test_it_refuses_a_refresh_token_at_another_realm(client):
    realm = make_realm()
    charlie = make_realm("charlie")
    user = make_user(realm)
    make_web_client(realm, "app")
    make_web_client(charlie, "app")
    body = tokens_for(client, realm, user, "app")

    assert_invalid_grant(refresh(client, charlie, body["refresh_token"]))
    response = refresh(client, charlie, body["refresh_token"], client_id="nobody")
    assert response.status_code == 401


def test_it_refuses_garbage(client):
    realm = make_realm()
    make_web_client(realm)
    for token in ("not-a-jwt", "a.b.c", "x" * 20000, ""):
        response = refresh(client, realm, token)
        assert response.status_code == 400
        assert response.json()["error"] in {"invalid_grant", "invalid_request"}


def test_it_refuses_a_public_client_without_its_client_id(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "spa", public=True)
    code = authorize_and_get_code(client, realm, user, "spa")
    body = exchange_code(client, realm, code, client_id="spa", secret=None).json()

    renewed = refresh(client, realm, body["refresh_token"], client_id="spa", secret=None)
    assert renewed.status_code == 200
    response = refresh(client, realm, body["refresh_token"], client_id="", secret=None)
    assert response.status_code == 401


# --- scope: narrowed, never widened (RFC 6749 §6) ------------------------------------------------
def test_it_narrows_the_scope_of_the_access_token(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, scopes=("profile", "email"))
    body = tokens_for(client, realm, user, scope="openid")

    narrowed = refresh(client, realm, body["refresh_token"], scope="openid email").json()

    assert set(narrowed["scope"].split()) == {"openid", "email"}
    assert set(verify(client, realm, narrowed["access_token"])["scope"].split()) == {
        "openid",
        "email",
    }
    # The refresh token keeps its original scope: a later refresh may ask for it all again.
    assert set(refresh_claims(narrowed["refresh_token"])["scope"].split()) == {
        "openid",
        "profile",
        "email",
    }
    again = refresh(client, realm, narrowed["refresh_token"]).json()
    assert set(again["scope"].split()) == {"openid", "profile", "email"}


def test_it_refuses_to_widen_the_scope(client):
    realm = make_realm()
    user = make_user(realm)
    app = make_web_client(realm, scopes=("profile",))
    app.optional_client_scopes.add(ClientScope.objects.get(realm=realm, name="email"))
    body = tokens_for(client, realm, user, scope="openid")

    response = refresh(client, realm, body["refresh_token"], scope="openid profile email")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    # A refused widening does not spend the token.
    assert refresh(client, realm, body["refresh_token"]).status_code == 200


# --- bound to the SSO session ------------------------------------------------------------------
def test_it_stops_refreshing_after_logout(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    body = tokens_for(client, realm, user)

    assert client.post(f"/realms/{realm.name}/logout").status_code == 302
    assert UserSession.objects.get(user=user).ended is not None

    assert_invalid_grant(refresh(client, realm, body["refresh_token"]))


def test_it_ends_the_refreshed_access_token_at_logout_but_not_an_offline_one(client):
    realm = make_realm()
    user = make_user(realm)
    web_client_with_offline_access(realm)
    online = tokens_for(client, realm, user, scope="openid")
    online = refresh(client, realm, online["refresh_token"]).json()
    offline = tokens_for(client, realm, user, scope="openid offline_access")
    offline = refresh(client, realm, offline["refresh_token"]).json()

    assert client.post(f"/realms/{realm.name}/logout").status_code == 302

    assert userinfo_status(client, realm, online["access_token"]) == 401
    assert userinfo_status(client, realm, offline["access_token"]) == 200


def test_it_stops_refreshing_when_the_session_idles_out(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        body = tokens_for(client, realm, user)
        traveller.shift(timedelta(seconds=realm.sso_session_idle_timeout + 1))
        assert_invalid_grant(refresh(client, realm, body["refresh_token"]))


def test_it_keeps_the_session_alive_while_the_client_refreshes(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    step = timedelta(seconds=realm.sso_session_idle_timeout * 2 // 3)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = tokens_for(client, realm, user)["refresh_token"]
        for _ in range(3):
            traveller.shift(step)
            response = refresh(client, realm, token)
            assert response.status_code == 200, response.content
            token = response.json()["refresh_token"]


def test_it_stops_refreshing_at_the_sessions_max_lifespan(client):
    realm = make_realm(sso_session_idle_timeout=600, sso_session_max_lifespan=1000)
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        body = tokens_for(client, realm, user)
        traveller.shift(500)
        second = refresh(client, realm, body["refresh_token"]).json()
        # Issued at 500 s, it expires with the session at 1000 s, not at 500 + 600 s.
        assert second["refresh_expires_in"] in (499, 500)
        traveller.shift(501)
        assert_invalid_grant(refresh(client, realm, second["refresh_token"]))


# --- offline access -----------------------------------------------------------------------------
def test_it_issues_an_offline_token_that_survives_logout(client):
    realm = make_realm()
    user = make_user(realm)
    web_client_with_offline_access(realm)
    body = tokens_for(client, realm, user, scope="openid offline_access")
    assert refresh_claims(body["refresh_token"])["typ"] == "Offline"

    assert client.post(f"/realms/{realm.name}/logout").status_code == 302
    assert UserSession.objects.get(user=user).ended is not None
    response = refresh(client, realm, body["refresh_token"])

    assert response.status_code == 200, response.content
    renewed = response.json()
    assert refresh_claims(renewed["refresh_token"])["typ"] == "Offline"
    assert "offline_access" in renewed["scope"].split()


def test_it_keeps_an_offline_token_alive_past_the_session(client):
    realm = make_realm()
    user = make_user(realm)
    web_client_with_offline_access(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        body = tokens_for(client, realm, user, scope="offline_access")
        traveller.shift(timedelta(seconds=realm.sso_session_max_lifespan + 1))
        assert refresh(client, realm, body["refresh_token"]).status_code == 200


def test_it_keeps_an_offline_token_offline_when_the_access_token_is_narrowed(client):
    realm = make_realm()
    user = make_user(realm)
    web_client_with_offline_access(realm)
    body = tokens_for(client, realm, user, scope="openid offline_access")
    assert client.post(f"/realms/{realm.name}/logout").status_code == 302
    assert UserSession.objects.get(user=user).ended is not None

    narrowed = refresh(client, realm, body["refresh_token"], scope="openid").json()

    assert narrowed["scope"] == "openid"
    assert refresh_claims(narrowed["refresh_token"])["typ"] == "Offline"
    assert refresh(client, realm, narrowed["refresh_token"]).status_code == 200


def test_it_issues_no_offline_token_unless_asked(client):
    realm = make_realm()
    user = make_user(realm)
    web_client_with_offline_access(realm)
    body = tokens_for(client, realm, user, scope="openid")
    assert refresh_claims(body["refresh_token"])["typ"] == "Refresh"


# --- concurrency ------------------------------------------------------------------------------
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_concurrent_refreshes_win():
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    token = tokens_for(Client(), realm, user)["refresh_token"]

    results = run_together(
        lambda: refresh(Client(), realm, token, secret=SECRET),
        lambda: refresh(Client(), realm, token, secret=SECRET),
    )

    assert sorted(response.status_code for response in results) == [200, 400]
    loser = next(response for response in results if response.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
