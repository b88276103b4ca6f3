import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from jwcrypto.common import base64url_decode, base64url_encode
from jwcrypto.jwa import JWA

from accounts.models import UserSession
from authserver.keys import store
from authserver.protocol import jwt
from tests.factories import make_client, make_realm, make_user
from tests.protocol.helpers import SECRET, basic, endpoint, make_machine_client, post_form
from tests.protocol.issued import grant_scopes, issue_grant, make_session, service_token

pytestmark = pytest.mark.django_db


def no_token_challenge(realm) -> str:
    """RFC 6750 §3.1 and RFC 9449 §7.1: both schemes offered, no error code."""
    algs = "ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA"
    return f'Bearer realm="{realm.name}", DPoP realm="{realm.name}", algs="{algs}"'


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def userinfo(http, realm, token: str | None = None):
    headers = bearer(token) if token is not None else {}
    return http.get(endpoint(realm, "userinfo"), headers=headers)


def machine_with_profile(realm, **user_fields):
    machine = make_machine_client(realm)
    grant_scopes(machine, "profile", "email")
    account = machine.service_account
    for name, value in user_fields.items():
        setattr(account, name, value)
    account.save()
    return machine


def assert_invalid_token(response, realm):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="{realm.name}", error="invalid_token", '
        'error_description="the access token is not valid"'
    )
    assert response.json()["error"] == "invalid_token"
    assert response["Cache-Control"] == "no-store"


def test_it_returns_the_claims_of_the_tokens_scopes(client):
    realm = make_realm()
    machine = machine_with_profile(
        realm, first_name="Ada", last_name="Lovelace", email="ada@example.org"
    )
    token = service_token(client, realm, scope="openid")

    response = userinfo(client, realm, token)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "sub": str(machine.service_account.subject),
        "preferred_username": "service-account-machine",
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "email_verified": False,
    }


def test_it_releases_no_profile_claims_without_their_scopes(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    machine.service_account.email = "robot@example.org"
    machine.service_account.save()
    token = service_token(client, realm, scope="openid")

    assert userinfo(client, realm, token).json() == {
        "sub": str(machine.service_account.subject),
        "preferred_username": "service-account-machine",
    }


def test_it_answers_with_the_users_current_claims(client):
    realm = make_realm()
    machine = machine_with_profile(realm, email="old@example.org")
    token = service_token(client, realm, scope="openid")
    machine.service_account.email = "new@example.org"
    machine.service_account.save()

    assert userinfo(client, realm, token).json()["email"] == "new@example.org"


def test_it_returns_an_end_users_claims(client):
    realm = make_realm()
    app = make_client(realm, "app")
    grant_scopes(app, "email")
    alice = make_user(realm, "alice", email="alice@example.org", email_verified=True)
    access, _ = issue_grant(app, alice, scopes=("openid", "email"), session=make_session(alice))

    assert userinfo(client, realm, access).json() == {
        "sub": str(alice.subject),
        "preferred_username": "alice",
        "email": "alice@example.org",
        "email_verified": True,
    }


def test_it_accepts_the_token_in_a_form_body(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")

    response = post_form(client, endpoint(realm, "userinfo"), {"access_token": token})

    assert response.status_code == 200, response.content
    assert response.json()["preferred_username"] == "service-account-machine"


def test_it_accepts_a_post_with_the_token_in_the_header(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    response = client.post(endpoint(realm, "userinfo"), headers=bearer(token))
    assert response.status_code == 200, response.content


def test_it_challenges_a_request_without_a_token(client):
    realm = make_realm()
    response = userinfo(client, realm)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == no_token_challenge(realm)
    assert response["Cache-Control"] == "no-store"


def test_it_challenges_basic_credentials_as_no_token(client):
    realm = make_realm()
    make_machine_client(realm)
    response = client.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=basic("machine", SECRET))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == no_token_challenge(realm)


def test_it_never_takes_the_token_from_the_query_string(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    response = client.get(endpoint(realm, "userinfo"), {"access_token": token})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == no_token_challenge(realm)


def test_it_refuses_a_token_sent_two_ways(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    response = post_form(
        client,
        endpoint(realm, "userinfo"),
        {"access_token": token},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_it_refuses_a_token_without_the_openid_scope(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)

    response = userinfo(client, realm, token)

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert response["WWW-Authenticate"].startswith(
        f'Bearer realm="{realm.name}", error="insufficient_scope"'
    )


def test_it_refuses_a_tampered_token(client):
    realm = make_realm()
    make_machine_client(realm)
    header, payload, signature = service_token(client, realm, scope="openid").split(".")
    claims = json.loads(base64url_decode(payload))
    claims["preferred_username"] = "admin"
    forged = f"{header}.{base64url_encode(json.dumps(claims))}.{signature}"

    assert_invalid_token(userinfo(client, realm, forged), realm)


def test_it_refuses_an_unsigned_token(client):
    realm = make_realm()
    make_machine_client(realm)
    header, payload, _ = service_token(client, realm, scope="openid").split(".")
    unsigned_header = {**json.loads(base64url_decode(header)), "alg": "none"}
    unsigned = f"{base64url_encode(json.dumps(unsigned_header))}.{payload}."

    assert_invalid_token(userinfo(client, realm, unsigned), realm)


@pytest.mark.parametrize(
    "extension",
    [
        pytest.param({"crit": ["exp"]}, id="crit"),
        pytest.param({"b64": False, "crit": ["b64"]}, id="unencoded payload"),
    ],
)
def test_it_refuses_a_header_extension_even_under_our_signature(client, extension):
    realm = make_realm()
    make_machine_client(realm)
    header, payload, _ = service_token(client, realm, scope="openid").split(".")
    extended = base64url_encode(json.dumps({**json.loads(base64url_decode(header)), **extension}))
    key = store.signing_key(realm)
    signature = JWA.signing_alg(key["alg"]).sign(key, f"{extended}.{payload}".encode())

    token = f"{extended}.{payload}.{base64url_encode(signature)}"
    assert_invalid_token(userinfo(client, realm, token), realm)


def test_it_refuses_a_grants_token_naming_another_client_even_under_our_signature(client):
    # The token's family is the grant of "app"; the family's row, not the signed client_id,
    # says whose grant it is (protocol/families.py ``live``).
    realm = make_realm()
    app = make_client(realm, "app")
    make_client(realm, "other")
    alice = make_user(realm, "alice")
    access, _ = issue_grant(app, alice, session=make_session(alice))
    claims = {**jwt.unverified_claims(access), "client_id": "other", "azp": "other"}
    renamed = jwt.sign(realm, claims, typ=jwt.ACCESS_TOKEN_TYPE)

    assert userinfo(client, realm, access).status_code == 200
    assert_invalid_token(userinfo(client, realm, renamed), realm)


def test_it_refuses_a_token_padded_or_outside_the_base64url_alphabet(client):
    realm = make_realm()
    make_machine_client(realm)
    header, payload, signature = service_token(client, realm, scope="openid").split(".")
    assert userinfo(client, realm, f"{header}.{payload}.{signature}").status_code == 200

    # RFC 6750's b64token lets these through to the token's own check.
    assert_invalid_token(userinfo(client, realm, f"{header}.{payload}+.{signature}"), realm)
    assert_invalid_token(userinfo(client, realm, f"{header}.{payload}.{signature}=="), realm)


def test_it_refuses_an_expired_token(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    later = timezone.now() + timedelta(seconds=realm.access_token_lifespan + 1)
    with time_machine.travel(later):
        assert_invalid_token(userinfo(client, realm, token), realm)


def test_it_refuses_a_revoked_token(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    revoked = post_form(
        client,
        endpoint(realm, "revoke"),
        {"token": token},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert revoked.status_code == 200

    assert_invalid_token(userinfo(client, realm, token), realm)


def test_it_refuses_another_realms_token(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_machine_client(realm_a)
    make_machine_client(realm_b)
    token = service_token(client, realm_a, scope="openid")

    assert_invalid_token(userinfo(client, realm_b, token), realm_b)


def test_it_refuses_a_refresh_token(client):
    realm = make_realm()
    app = make_client(realm, "app")
    alice = make_user(realm, "alice")
    _, refresh = issue_grant(app, alice, session=make_session(alice))

    assert_invalid_token(userinfo(client, realm, refresh), realm)


def test_it_refuses_a_token_of_a_disabled_user(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    machine.service_account.is_active = False
    machine.service_account.save()

    assert_invalid_token(userinfo(client, realm, token), realm)


def test_it_refuses_a_token_of_a_disabled_client(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    machine.enabled = False
    machine.save()

    assert_invalid_token(userinfo(client, realm, token), realm)


def test_it_refuses_a_token_whose_session_has_ended(client):
    realm = make_realm()
    app = make_client(realm, "app")
    alice = make_user(realm, "alice")
    session = make_session(alice)
    access, _ = issue_grant(app, alice, session=session)
    UserSession.objects.filter(pk=session.pk).update(ended=timezone.now())

    assert_invalid_token(userinfo(client, realm, access), realm)


@pytest.mark.parametrize(
    ("authorization", "status", "error"),
    [
        ("Bearer", 400, "invalid_request"),
        ("Bearer ", 400, "invalid_request"),
        ("Bearer a b", 400, "invalid_request"),
        ("Bearer \u00e9t\u00e9", 400, "invalid_request"),
        ("Bearer " + "a" * 20000, 401, "invalid_token"),
        ("Bearer a.b.c", 401, "invalid_token"),
        ("Bearer ..", 401, "invalid_token"),
        ("Bearer eyJhbGciOiJub25lIn0.e30.", 401, "invalid_token"),
        ("Bearer !!!.???.***", 400, "invalid_request"),
        ("bearer x.y.z", 401, "invalid_token"),
        ("Bearerx.y.z", 400, "invalid_request"),
    ],
)
def test_it_never_fails_on_garbage(client, authorization, status, error):
    realm = make_realm()
    response = client.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=authorization)
    assert response.status_code == status
    assert response["WWW-Authenticate"].startswith(f'Bearer realm="{realm.name}", error="{error}"')


def test_it_refuses_other_methods(client):
    realm = make_realm()
    response = client.put(endpoint(realm, "userinfo"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
