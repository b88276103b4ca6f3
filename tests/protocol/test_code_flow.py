import base64
import hashlib
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from authserver.models import Grant
from tests.factories import make_realm, make_scope, make_user
from tests.protocol.helpers import (
    REDIRECT_URI,
    SECRET,
    VERIFIER,
    assert_invalid_grant,
    authorize_and_get_code,
    authorize_params,
    basic,
    endpoint,
    exchange_code,
    make_web_client,
    post_form,
    postgres_only,
    redirect_params,
    refresh,
    refresh_claims,
    run_together,
    userinfo_status,
    verify,
)

pytestmark = pytest.mark.django_db


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


# --- the exchange -----------------------------------------------------------------------------
def test_it_exchanges_a_code_for_access_refresh_and_id_tokens(client):
    realm = make_realm()
    user = make_user(realm, first_name="Alice", last_name="Liddell", email="alice@example.org")
    make_web_client(realm, scopes=("profile", "email"))
    code = authorize_and_get_code(client, realm, user, scope="openid", nonce="n-42")

    response = exchange_code(client, realm, code)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == realm.access_token_lifespan
    assert 0 < body["refresh_expires_in"] <= realm.sso_session_idle_timeout
    assert set(body["scope"].split()) == {"openid", "profile", "email"}

    session = user.sessions.get()
    identity = verify(client, realm, body["id_token"], typ="JWT")
    assert identity["iss"] == realm.issuer
    assert identity["sub"] == str(user.subject)
    assert identity["aud"] == "app"
    assert identity["azp"] == "app"
    assert identity["typ"] == "ID"
    assert identity["acr"] == "1"
    assert identity["nonce"] == "n-42"
    assert identity["at_hash"] == at_hash(body["access_token"])
    assert identity["sid"] == str(session.sid) == body["session_state"]
    assert identity["auth_time"] == int(session.started.timestamp())
    assert identity["exp"] > identity["iat"]
    assert identity["name"] == "Alice Liddell"
    assert identity["given_name"] == "Alice"
    assert identity["family_name"] == "Liddell"
    assert identity["email"] == "alice@example.org"
    assert identity["email_verified"] is False

    access = verify(client, realm, body["access_token"], typ="at+jwt")
    assert access["sub"] == str(user.subject)
    assert access["sid"] == str(session.sid)
    assert access["azp"] == "app"

    refreshed = refresh_claims(body["refresh_token"])
    assert refreshed["typ"] == "Refresh"
    assert refreshed["sid"] == str(session.sid)
    assert refreshed["jti"]
    assert refreshed["exp"] > refreshed["iat"]


def test_it_releases_only_the_claims_of_granted_scopes(client):
    realm = make_realm()
    user = make_user(realm, first_name="Alice", email="alice@example.org")
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user, scope="openid")

    identity = verify(client, realm, exchange_code(client, realm, code).json()["id_token"])

    assert "email" not in identity
    assert "given_name" not in identity
    assert "nonce" not in identity


def test_it_issues_no_id_token_without_openid(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, scopes=("profile",))
    code = authorize_and_get_code(client, realm, user)

    body = exchange_code(client, realm, code).json()

    assert "id_token" not in body
    assert body["refresh_token"]
    assert body["scope"] == "profile"


def test_it_adds_optional_scopes_only_when_asked(client):
    realm = make_realm()
    user = make_user(realm)
    app = make_web_client(realm)
    app.optional_client_scopes.add(make_scope(realm, "orders:read", audience="orders"))

    plain = exchange_code(client, realm, authorize_and_get_code(client, realm, user)).json()
    asked = exchange_code(
        client, realm, authorize_and_get_code(client, realm, user, scope="orders:read")
    ).json()

    assert "orders:read" not in plain["scope"].split()
    assert asked["scope"] == "orders:read"
    assert verify(client, realm, asked["access_token"])["aud"] == ["orders"]


def test_it_lets_a_public_client_exchange_with_its_verifier(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "spa", public=True)
    code = authorize_and_get_code(client, realm, user, "spa")

    response = exchange_code(client, realm, code, client_id="spa", secret=None)

    assert response.status_code == 200, response.content


def test_it_refuses_a_wrong_client_secret(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user)

    response = exchange_code(client, realm, code, secret="wrong")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- single use ---------------------------------------------------------------------------------
def test_it_refuses_a_reused_code_and_revokes_what_it_issued(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user, scope="openid")
    first = exchange_code(client, realm, code).json()
    assert userinfo_status(client, realm, first["access_token"]) == 200

    assert_invalid_grant(exchange_code(client, realm, code))

    assert_invalid_grant(refresh(client, realm, first["refresh_token"]))
    assert userinfo_status(client, realm, first["access_token"]) == 401


def test_it_revokes_the_refreshed_tokens_of_a_reused_code(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user)
    first = exchange_code(client, realm, code).json()
    rotated = refresh(client, realm, first["refresh_token"]).json()

    assert_invalid_grant(exchange_code(client, realm, code))

    assert_invalid_grant(refresh(client, realm, rotated["refresh_token"]))
    assert userinfo_status(client, realm, rotated["access_token"]) == 401


def test_it_refuses_an_expired_code(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        code = authorize_and_get_code(client, realm, user)
        traveller.shift(61)
        assert_invalid_grant(exchange_code(client, realm, code))


def test_it_accepts_a_code_within_its_60_seconds(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        code = authorize_and_get_code(client, realm, user)
        traveller.shift(59)
        assert exchange_code(client, realm, code).status_code == 200


def test_it_stores_only_a_digest_of_the_code(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user)
    grant = Grant.objects.get()
    assert grant.code != code
    assert grant.code == hashlib.sha256(code.encode()).hexdigest()


def test_it_refuses_a_code_after_the_session_ended(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user)
    client.post(f"/realms/{realm.name}/logout")
    assert_invalid_grant(exchange_code(client, realm, code))


# --- bound to client, redirect URI and PKCE challenge -----------------------------------------
def test_it_binds_the_code_to_its_client(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "app")
    make_web_client(realm, "other")
    code = authorize_and_get_code(client, realm, user, "app")

    assert_invalid_grant(exchange_code(client, realm, code, client_id="other"))

    # Another client's attempt does not burn the code of its rightful client.
    assert exchange_code(client, realm, code).status_code == 200


def test_it_binds_the_code_to_its_redirect_uri(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, redirect_uris=f"{REDIRECT_URI} https://app.example/other")
    code = authorize_and_get_code(client, realm, user)

    response = exchange_code(client, realm, code, redirect_uri="https://app.example/other")

    assert_invalid_grant(response)


def test_it_requires_the_redirect_uri_at_the_exchange(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user)

    response = exchange_code(client, realm, code, redirect_uri=None)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_it_requires_the_code_verifier(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user)

    response = exchange_code(client, realm, code, verifier=None)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_it_refuses_a_wrong_code_verifier(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "spa", public=True)
    code = authorize_and_get_code(client, realm, user, "spa")

    response = exchange_code(client, realm, code, client_id="spa", secret=None, verifier="w" * 50)

    assert_invalid_grant(response)


@pytest.mark.parametrize(
    "refused",
    [
        {"verifier": "w" * 50},
        {"redirect_uri": "https://app.example/other"},
    ],
)
def test_it_spends_a_code_whose_exchange_its_client_got_wrong(client, refused):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, redirect_uris=f"{REDIRECT_URI} https://app.example/other")
    code = authorize_and_get_code(client, realm, user)

    assert_invalid_grant(exchange_code(client, realm, code, **refused))

    # The right exchange comes too late: the refused one spent the code.
    assert_invalid_grant(exchange_code(client, realm, code))


def test_it_refuses_a_verifier_for_a_code_issued_without_a_challenge(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, pkce_method="")
    code = authorize_and_get_code(client, realm, user, verifier=None)

    # RFC 9700 §2.1.1: PKCE downgrade.
    assert_invalid_grant(exchange_code(client, realm, code, verifier=VERIFIER))
    # Without a verifier, the same code still works: the refusal did not spend it.
    assert exchange_code(client, realm, code, verifier=None).status_code == 200


# --- realms -------------------------------------------------------------------------------------
def test_it_refuses_a_code_at_another_realms_token_endpoint(client):
    realm = make_realm()
    charlie = make_realm("charlie")
    user = make_user(realm)
    make_web_client(realm, "app")
    code = authorize_and_get_code(client, realm, user, "app")

    response = exchange_code(client, charlie, code)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_a_code_at_another_realm_with_a_same_named_client(client):
    realm = make_realm()
    charlie = make_realm("charlie")
    user = make_user(realm)
    make_web_client(realm, "app")
    make_web_client(charlie, "app")
    code = authorize_and_get_code(client, realm, user, "app")

    assert_invalid_grant(exchange_code(client, charlie, code))
    assert exchange_code(client, realm, code).status_code == 200


# --- concurrency ------------------------------------------------------------------------------
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_concurrent_exchanges_win():
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(Client(), realm, user)

    results = run_together(
        lambda: exchange_code(Client(), realm, code, secret=SECRET),
        lambda: exchange_code(Client(), realm, code, secret=SECRET),
    )

    assert sorted(response.status_code for response in results) == [200, 400]
    loser = next(response for response in results if response.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"


# --- bad input never gives a 500 --------------------------------------------------------------
@pytest.mark.parametrize(
    "form",
    [
        {"code": "\x00"},
        {"code": "é" * 40},
        {"code": "c" * 8000},
        {"code_verifier": "\x00" * 50},
        {"code_verifier": "é" * 50},
        {"code_verifier": "v" * 8000},
        {"redirect_uri": "\x00"},
        {"redirect_uri": "é"},
        {"code": None},
    ],
)
def test_it_never_fails_with_a_server_error(client, form):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user)
    if "code" in form:
        code = form.pop("code")

    response = exchange_code(client, realm, code, **form)

    assert response.status_code == 400, response.content
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}


def test_it_keeps_the_resource_indicators_of_the_authorization_request(client):
    """RFC 8707 §2.1: the code remembers the resources asked for (one or several), and the
    token request may narrow them but not name another."""
    realm = make_realm()
    make_web_client(realm, "app", scopes=("openid",))
    user = make_user(realm, "alice")
    code = authorize_and_get_code(client, realm, user, resource="https://orders.example/")
    other = exchange_code(client, realm, code, resource="https://payments.example/")
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_target"
    code = authorize_and_get_code(client, realm, user, resource="https://orders.example/")
    response = exchange_code(client, realm, code)
    assert response.status_code == 200, response.content


def test_it_weighs_every_resource_of_a_token_request(client):
    """RFC 8707 §2: ``resource`` may be repeated, in the authorization request and in the token
    request, and every value counts: the token request may name both resources of the code,
    but not one of them and another."""
    realm = make_realm()
    make_web_client(realm, "app", scopes=("openid",))
    user = make_user(realm, "alice")
    authorize_and_get_code(client, realm, user)  # the browser logs in
    orders, payments = "https://orders.example/", "https://payments.example/"

    def exchange(*resources):
        query = [*authorize_params().items(), ("resource", orders), ("resource", payments)]
        answer = redirect_params(client.get(endpoint(realm, "auth") + "?" + urlencode(query)))
        form = {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": VERIFIER,
        }
        return post_form(
            client,
            endpoint(realm, "token"),
            [*form.items(), *(("resource", value) for value in resources)],
            HTTP_AUTHORIZATION=basic("app", SECRET),
        )

    assert exchange(orders, payments).status_code == 200
    refused = exchange("https://ledger.example/", orders)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_target"
