import base64
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import UserSession
from tests.factories import make_client, make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    make_machine_client,
    post_form,
    scope_with_audience,
    verify,
)
from tests.protocol.issued import (
    client_assertion,
    client_with_key,
    issue_grant,
    make_session,
    service_token,
)

pytestmark = pytest.mark.django_db

INACTIVE = {"active": False}


def introspect(http, realm, token, client_id="machine", secret=SECRET, **form):
    return post_form(
        http,
        endpoint(realm, "token/introspect"),
        {"token": token, **form},
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )


def answer(http, realm, token, **kwargs) -> dict:
    response = introspect(http, realm, token, **kwargs)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.json()


def resource_server(realm, client_id="orders-api"):
    return make_client(realm, client_id, secret=SECRET, standard_flow_enabled=False)


def test_it_describes_a_live_access_token(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    machine.default_client_scopes.add(scope_with_audience(realm, "orders:read", "orders"))
    token = service_token(client, realm)
    claims = verify(client, realm, token)

    body = answer(client, realm, token)

    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "orders:read"
    assert body["client_id"] == "machine"
    assert body["username"] == "service-account-machine"
    assert body["sub"] == str(machine.service_account.subject)
    assert body["aud"] == ["orders"]
    assert body["iss"] == realm.issuer
    for name in ("exp", "iat", "jti"):
        assert body[name] == claims[name]


def test_it_lets_a_resource_server_introspect_another_clients_token(client):
    realm = make_realm()
    make_machine_client(realm)
    resource_server(realm)
    token = service_token(client, realm)

    body = answer(client, realm, token, client_id="orders-api")

    assert body["active"] is True
    assert body["client_id"] == "machine"


def test_it_accepts_the_secret_in_the_body(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)
    response = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": token, "client_id": "machine", "client_secret": SECRET},
    )
    assert response.status_code == 200
    assert response.json()["active"] is True


def test_it_describes_a_live_refresh_token_to_its_client(client):
    realm = make_realm()
    app = make_client(realm, "app", secret=SECRET)
    alice = make_user(realm, "alice")
    session = make_session(alice)
    _, refresh = issue_grant(app, alice, session=session)

    body = answer(client, realm, refresh, client_id="app")

    assert body["active"] is True
    assert body["token_type"] == "Refresh"
    assert body["typ"] == "Refresh"
    assert body["client_id"] == "app"
    assert body["username"] == "alice"
    assert body["sub"] == str(alice.subject)
    assert body["sid"] == str(session.sid)
    assert body["scope"] == "openid"


def test_it_hides_a_refresh_token_from_other_clients(client):
    realm = make_realm()
    app = make_client(realm, "app", secret=SECRET)
    resource_server(realm)
    alice = make_user(realm, "alice")
    _, refresh = issue_grant(app, alice, session=make_session(alice))

    assert answer(client, realm, refresh, client_id="orders-api") == INACTIVE


def test_it_answers_inactive_once_the_session_of_a_refresh_token_ended(client):
    realm = make_realm()
    app = make_client(realm, "app", secret=SECRET)
    alice = make_user(realm, "alice")
    session = make_session(alice)
    access, refresh = issue_grant(app, alice, session=session)
    UserSession.objects.filter(pk=session.pk).update(ended=timezone.now())

    assert answer(client, realm, refresh, client_id="app") == INACTIVE
    assert answer(client, realm, access, client_id="app") == INACTIVE


def test_it_keeps_an_offline_token_active_after_the_session_ended(client):
    realm = make_realm()
    app = make_client(realm, "app", secret=SECRET)
    alice = make_user(realm, "alice")
    session = make_session(alice)
    _, offline = issue_grant(app, alice, scopes=("openid", "offline_access"), session=session)
    UserSession.objects.filter(pk=session.pk).update(ended=timezone.now())

    body = answer(client, realm, offline, client_id="app")

    assert body["active"] is True
    assert body["typ"] == "Offline"
    assert body["token_type"] == "Refresh"


@pytest.mark.parametrize("kind", ["access", "refresh"])
def test_it_answers_inactive_for_a_revoked_token(client, kind):
    realm = make_realm()
    app = make_client(realm, "app", secret=SECRET)
    alice = make_user(realm, "alice")
    access, refresh = issue_grant(app, alice, session=make_session(alice))
    token = access if kind == "access" else refresh
    revoked = post_form(
        client, endpoint(realm, "revoke"), {"token": token}, HTTP_AUTHORIZATION=basic("app", SECRET)
    )
    assert revoked.status_code == 200

    assert answer(client, realm, token, client_id="app") == INACTIVE


def test_it_answers_inactive_for_an_expired_access_token(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)
    later = timezone.now() + timedelta(seconds=realm.access_token_lifespan + 1)
    with time_machine.travel(later):
        assert answer(client, realm, token) == INACTIVE


def test_it_answers_inactive_for_an_expired_refresh_token(client):
    realm = make_realm()
    app = make_client(realm, "app", secret=SECRET)
    alice = make_user(realm, "alice")
    _, refresh = issue_grant(app, alice, session=make_session(alice))
    later = timezone.now() + timedelta(seconds=realm.sso_session_idle_timeout + 1)
    with time_machine.travel(later):
        assert answer(client, realm, refresh, client_id="app") == INACTIVE


def test_it_answers_inactive_for_another_realms_token(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_machine_client(realm_a)
    make_machine_client(realm_b)  # same client_id and secret in the other realm
    token = service_token(client, realm_a)

    assert answer(client, realm_b, token) == INACTIVE
    assert answer(client, realm_a, token)["active"] is True


def test_it_answers_inactive_for_another_realms_refresh_token(client):
    realm_a, realm_b = make_realm(), make_realm()
    app_a = make_client(realm_a, "app", secret=SECRET)
    make_client(realm_b, "app", secret=SECRET)
    alice = make_user(realm_a, "alice")
    _, refresh = issue_grant(app_a, alice, session=make_session(alice))

    assert answer(client, realm_b, refresh, client_id="app") == INACTIVE


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "..", "eyJhbGciOiJub25lIn0.e30.", "x" * 8000, "\u00e9t\u00e9", "\x00"],
)
def test_it_answers_inactive_for_garbage(client, token):
    realm = make_realm()
    make_machine_client(realm)
    assert answer(client, realm, token) == INACTIVE


@pytest.mark.parametrize("hint", ["refresh_token", "access_token", "id_token", "nonsense"])
def test_it_takes_the_hint_as_a_hint_only(client, hint):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)
    assert answer(client, realm, token, token_type_hint=hint)["active"] is True


def test_it_finds_a_refresh_token_whatever_the_hint(client):
    realm = make_realm()
    app = make_client(realm, "app", secret=SECRET)
    alice = make_user(realm, "alice")
    _, refresh = issue_grant(app, alice, session=make_session(alice))
    body = answer(client, realm, refresh, client_id="app", token_type_hint="access_token")
    assert body["token_type"] == "Refresh"


def test_it_requires_client_authentication(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)

    response = post_form(client, endpoint(realm, "token/introspect"), {"token": token})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"] == 'Basic error="invalid_client"'
    assert response["Cache-Control"] == "no-store"


def test_it_refuses_a_wrong_secret(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)
    response = introspect(client, realm, token, secret="wrong")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }


def test_it_refuses_a_public_client(client):
    realm = make_realm()
    make_machine_client(realm)
    make_client(realm, "spa", client_type="public")
    token = service_token(client, realm)
    response = post_form(
        client, endpoint(realm, "token/introspect"), {"token": token, "client_id": "spa"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_a_client_of_another_realm(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_machine_client(realm_a)
    token = service_token(client, realm_a)
    response = introspect(client, realm_b, token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_a_disabled_client(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    token = service_token(client, realm)
    machine.enabled = False
    machine.save()
    assert introspect(client, realm, token).status_code == 401


def test_it_refuses_parameters_in_the_url(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm)
    response = post_form(
        client,
        endpoint(realm, "token/introspect") + f"?token={token}",
        {},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_it_accepts_a_private_key_jwt(client):
    realm = make_realm()
    make_machine_client(realm)
    key = client_with_key(realm, "orders-api")
    token = service_token(client, realm)

    response = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": token, **client_assertion(key, realm, "orders-api")},
    )

    assert response.status_code == 200, response.content
    assert response.json()["active"] is True


def test_it_refuses_an_assertion_signed_by_another_key(client):
    realm = make_realm()
    make_machine_client(realm)
    client_with_key(realm, "orders-api")
    stranger = client_with_key(make_realm(), "orders-api")
    token = service_token(client, realm)

    response = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": token, **client_assertion(stranger, realm, "orders-api")},
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\x00:x").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic " + base64.b64encode(b"m" * 300 + b":x").decode(),
        "Bearer x.y.z",
    ],
)
def test_it_never_fails_on_garbage_credentials(client, authorization):
    realm = make_realm()
    make_machine_client(realm)
    response = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": "x"},
        HTTP_AUTHORIZATION=authorization,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
