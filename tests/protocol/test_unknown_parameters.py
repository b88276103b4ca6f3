"""Parameters the protocol does not define are ignored (RFC 6749 §3.1, §3.2), and above all they
never stand in for what the server decides: a client cannot name its own token's audience, actor
or lifetime, or mark its request as already rate limited, by sending a parameter so named."""

import pytest

from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    authorize_and_get_code,
    basic,
    endpoint,
    exchange_code,
    make_machine_client,
    make_web_client,
    post_form,
    refresh,
    verify,
)
from tests.protocol.test_token_rate_limit import TIGHT, assert_rate_limited

pytestmark = pytest.mark.django_db

# Names the server keeps on its oauthlib request for values of its own.
SERVER_NAMES = {
    "token_audiences": "payments",
    "actor": "mallory",
    "expires_in": "999999",
    "expires_not_after": "9999999999",
    "refresh_token_scopes": "admin",
    "extra_credentials": "x",
    "id_token": "x",
    "access_token_jti": "chosen",
    "sso_session": "x",
}


def test_it_lets_no_form_parameter_stand_in_for_a_client_credentials_tokens_claims(client):
    realm = make_realm()
    make_machine_client(realm)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", **SERVER_NAMES},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    claims = verify(client, realm, body["access_token"])
    assert "payments" not in str(claims.get("aud"))
    assert "act" not in claims
    assert claims["jti"] != "chosen"
    assert claims["exp"] - claims["iat"] == realm.access_token_lifespan
    assert body["expires_in"] == realm.access_token_lifespan


def test_it_lets_no_form_parameter_stand_in_for_a_code_flows_tokens(client):
    realm = make_realm()
    make_web_client(realm, "app", scopes=("openid",))
    user = make_user(realm, "alice")
    code = authorize_and_get_code(client, realm, user)
    response = exchange_code(client, realm, code, **SERVER_NAMES)
    assert response.status_code == 200, response.content
    tokens = response.json()
    claims = verify(client, realm, tokens["access_token"])
    assert "payments" not in str(claims.get("aud")) and "act" not in claims
    again = refresh(client, realm, tokens["refresh_token"], **SERVER_NAMES)
    assert again.status_code == 200, again.content
    renewed = verify(client, realm, again.json()["access_token"])
    assert "payments" not in str(renewed.get("aud")) and "act" not in renewed
    assert "admin" not in again.json().get("scope", "").split()


def test_it_lets_no_form_parameter_skip_the_rate_limit(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = TIGHT
    realm = make_realm()
    make_machine_client(realm)

    def attempt():
        return post_form(
            client,
            endpoint(realm, "token"),
            {"grant_type": "client_credentials", "rate_limited_once": "1"},
            HTTP_AUTHORIZATION=basic("machine", SECRET),
            REMOTE_ADDR="10.0.0.9",
        )

    assert attempt().status_code == 200
    assert attempt().status_code == 200
    assert_rate_limited(attempt())
