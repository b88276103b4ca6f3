import base64

import pytest

from authserver.models import AccessToken, Client, RefreshToken, RevokedToken
from tests.factories import make_client, make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    introspect,
    make_machine_client,
    post_form,
    revoke,
    userinfo_status,
)
from tests.protocol.issued import (
    client_assertion,
    client_with_key,
    issue_grant,
    make_session,
    service_token,
)

pytestmark = pytest.mark.django_db


def is_active(http, realm, token, client_id="machine") -> bool:
    return introspect(http, realm, token, client_id)["active"]


def user_grant(realm, client_id="app", **client_fields):
    app = make_client(realm, client_id, secret=SECRET, **client_fields)
    alice = make_user(realm)
    return app, issue_grant(app, alice, session=make_session(alice))


def test_it_revokes_an_access_token(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    assert userinfo_status(client, realm, token) == 200

    response = revoke(client, realm, token)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not is_active(client, realm, token)
    assert userinfo_status(client, realm, token) == 401
    # A client-credentials token has no row: its jti is denied (protocol/stateless.py).
    assert RevokedToken.objects.filter(realm=realm, client_id="machine").count() == 1


def test_it_revokes_a_refresh_token_with_the_access_tokens_of_its_grant(client):
    realm = make_realm()
    app, (access, refresh) = user_grant(realm)
    assert is_active(client, realm, refresh, client_id="app")

    assert revoke(client, realm, refresh, client_id="app").status_code == 200

    assert not is_active(client, realm, refresh, client_id="app")
    assert not is_active(client, realm, access, client_id="app")
    assert RefreshToken.objects.get(application=app).revoked is not None
    assert not AccessToken.objects.filter(application=app).exists()


def test_it_ends_the_grant_when_its_access_token_is_revoked(client):
    realm = make_realm()
    _, (access, refresh) = user_grant(realm)

    assert revoke(client, realm, access, client_id="app").status_code == 200

    assert not is_active(client, realm, access, client_id="app")
    assert not is_active(client, realm, refresh, client_id="app")


def test_it_leaves_other_grants_alone(client):
    realm = make_realm()
    app, (access, refresh) = user_grant(realm)
    bob = make_user(realm)
    other_access, other_refresh = issue_grant(app, bob, session=make_session(bob))

    revoke(client, realm, refresh, client_id="app")

    assert not is_active(client, realm, access, client_id="app")
    assert is_active(client, realm, other_access, client_id="app")
    assert is_active(client, realm, other_refresh, client_id="app")


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "nonsense"])
def test_it_takes_the_hint_as_a_hint_only(client, hint):
    realm = make_realm()
    _, (access, refresh) = user_grant(realm)
    token = refresh if hint == "access_token" else access

    assert revoke(client, realm, token, client_id="app", token_type_hint=hint).status_code == 200

    assert not is_active(client, realm, token, client_id="app")


def test_it_ignores_another_clients_token(client):
    realm = make_realm()
    make_machine_client(realm)
    _, (access, refresh) = user_grant(realm)

    assert revoke(client, realm, refresh).status_code == 200
    assert revoke(client, realm, access).status_code == 200

    assert is_active(client, realm, refresh, client_id="app")
    assert is_active(client, realm, access, client_id="app")


def test_it_ignores_another_realms_token(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_machine_client(realm_a)
    make_machine_client(realm_b)  # the same client_id and secret in the other realm
    token = service_token(client, realm_a)

    assert revoke(client, realm_b, token).status_code == 200

    assert is_active(client, realm_a, token)


@pytest.mark.parametrize("token", ["unknown", "a.b.c", "\x00", "x" * 8000])
def test_it_answers_200_for_an_unknown_token(client, token):
    realm = make_realm()
    make_machine_client(realm)
    response = revoke(client, realm, token)
    assert response.status_code == 200


def test_it_lets_a_public_client_revoke_its_own_token(client):
    realm = make_realm()
    _, (access, refresh) = user_grant(realm, "spa", client_type="public")

    response = post_form(client, endpoint(realm, "revoke"), {"token": refresh, "client_id": "spa"})

    assert response.status_code == 200
    assert RefreshToken.objects.get().revoked is not None
    assert userinfo_status(client, realm, access) == 401


def test_it_does_not_let_a_public_client_revoke_another_clients_token(client):
    realm = make_realm()
    make_client(realm, "spa", client_type="public")
    make_machine_client(realm)
    token = service_token(client, realm)

    response = post_form(client, endpoint(realm, "revoke"), {"token": token, "client_id": "spa"})

    assert response.status_code == 200
    assert is_active(client, realm, token)


def test_it_requires_a_confidential_client_to_authenticate(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)

    response = post_form(
        client, endpoint(realm, "revoke"), {"token": token, "client_id": "machine"}
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"] == 'Basic error="invalid_client"'
    assert is_active(client, realm, token)


def test_it_refuses_a_wrong_secret(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)
    response = revoke(client, realm, token, secret="wrong")
    assert response.status_code == 401
    assert is_active(client, realm, token)


def test_it_refuses_a_request_without_any_client(client):
    realm = make_realm()
    response = post_form(client, endpoint(realm, "revoke"), {"token": "anything"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_parameters_in_the_url(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)
    response = post_form(
        client,
        endpoint(realm, "revoke") + f"?token={token}",
        {},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert response.status_code == 400
    assert is_active(client, realm, token)


def test_it_accepts_a_private_key_jwt(client):
    realm = make_realm()
    key = client_with_key(realm, "app")
    app = Client.objects.get(realm=realm, client_id="app")
    alice = make_user(realm)
    access, _ = issue_grant(app, alice, session=make_session(alice))

    response = post_form(
        client, endpoint(realm, "revoke"), {"token": access, **client_assertion(key, realm, "app")}
    )

    assert response.status_code == 200, response.content
    assert not is_active(client, realm, access, client_id="app")


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\x00:x").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Bearer x.y.z",
    ],
)
def test_it_never_fails_on_garbage_credentials(client, authorization):
    realm = make_realm()
    make_machine_client(realm)
    response = post_form(
        client, endpoint(realm, "revoke"), {"token": "x"}, HTTP_AUTHORIZATION=authorization
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
