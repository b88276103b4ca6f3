"""The password grant (RFC 6749 §4.3, Keycloak's direct access grant): only for a client that
turns it on (admin-cli of the master realm has it), under the login page's limits and lockout."""

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import MASTER_REALM, Event, Realm, UserSession
from authserver.adminapi import realm_management
from authserver.models import Client
from authserver.protocol.grants import password
from tests.factories import PASSWORD, make_realm, make_role, make_user
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    make_web_client,
    post_form,
    refresh,
    verify,
)

pytestmark = pytest.mark.django_db

FAST = {"default_signature_algorithm": "ES256"}


def password_grant(http, realm, username, secret_word=PASSWORD, client_id="admin-cli", **headers):
    form = {"grant_type": "password", "client_id": client_id, "username": username}
    return post_form(http, endpoint(realm, "token"), form | {"password": secret_word}, **headers)


@pytest.fixture
def master(db):
    return make_realm(MASTER_REALM, brute_force_protected=True, failure_factor=3, **FAST)


def test_it_gives_the_master_realm_a_public_admin_cli_with_the_password_grant(master):
    admin_cli = Client.objects.get(realm=master, client_id="admin-cli")
    assert admin_cli.is_public and not admin_cli.standard_flow_enabled
    assert password.enabled(admin_cli)
    other = make_realm("acme", **FAST)
    assert not Client.objects.filter(realm=other, client_id="admin-cli").exists()


def test_it_adds_admin_cli_to_a_master_realm_made_before(master):
    Client.objects.filter(realm=master, client_id="admin-cli").delete()
    call_command("create_realm_management", stdout=None)
    assert password.enabled(Client.objects.get(realm=master, client_id="admin-cli"))


def test_it_issues_tokens_for_a_users_password(client, master):
    alice = make_user(master, "alice")
    alice.roles.add(make_role(master, "reader"))
    response = password_grant(client, master, "alice")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    claims = verify(client, master, body["access_token"], typ="at+jwt")
    assert claims["sub"] == str(alice.subject)
    assert claims["azp"] == "admin-cli"
    assert claims["realm_access"] == {"roles": ["reader"]}
    session = UserSession.objects.get(user=alice)
    assert claims["sid"] == body["session_state"] == str(session.sid)
    again = refresh(client, master, body["refresh_token"], client_id="admin-cli", secret=None)
    assert again.status_code == 200, again.content
    assert Event.objects.filter(type="LOGIN", user=alice).exists()


def test_it_gives_a_superuser_a_token_for_the_admin_api(client, master):
    make_user(master, "root", is_superuser=True, is_staff=True)
    body = password_grant(client, master, "root").json()
    claims = verify(client, master, body["access_token"])
    assert realm_management.CLIENT_ID in claims["aud"]
    realms = client.get("/admin/realms", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert realms.status_code == 200
    assert [realm["realm"] for realm in realms.json()] == [MASTER_REALM]


def test_it_refuses_a_wrong_password_with_invalid_grant(client, master):
    make_user(master, "alice")
    response = password_grant(client, master, "alice", "wrong")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not UserSession.objects.exists()
    assert Event.objects.get(type="LOGIN_ERROR").username == "alice"


def test_it_refuses_the_grant_to_a_client_that_has_not_turned_it_on(client):
    realm = make_realm("acme", **FAST)
    alice = make_user(realm, "alice")
    make_web_client(realm, "app", public=True)
    response = password_grant(client, realm, "alice", client_id="app")
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    confidential = make_web_client(realm, "web")
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "password", "username": "alice", "password": PASSWORD},
        HTTP_AUTHORIZATION=basic("web", SECRET),
    )
    assert response.json()["error"] == "unauthorized_client"
    # No password was checked: nothing counts against the user.
    alice.refresh_from_db()
    assert alice.failed_logins == 0
    confidential.attributes = {password.ATTRIBUTE: "true"}
    confidential.save()
    allowed = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "password", "username": "alice", "password": PASSWORD},
        HTTP_AUTHORIZATION=basic("web", SECRET),
    )
    assert allowed.status_code == 200, allowed.content


def test_it_locks_the_user_out_after_the_realms_failure_factor(client, master):
    make_user(master, "alice")
    with time_machine.travel("2026-01-01 10:00:00Z", tick=False):
        for _ in range(3):
            assert password_grant(client, master, "alice", "wrong").status_code == 400
        locked = password_grant(client, master, "alice")
        assert locked.status_code == 400
        assert locked.json()["error"] == "invalid_grant"
    with time_machine.travel("2026-01-01 10:16:00Z", tick=False):
        assert password_grant(client, master, "alice").status_code == 200


def test_it_shares_the_login_pages_per_username_limit(client, master, settings):
    settings.AUTHSERVER_RATE_LOGIN = (0.001, 2)
    make_user(master, "alice")
    for address in ("10.0.0.1", "10.0.0.2"):
        password_grant(client, master, "alice", "wrong", REMOTE_ADDR=address)
    limited = password_grant(client, master, "Alice", REMOTE_ADDR="10.0.0.3")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "1000"
    assert limited.json()["error"] == "temporarily_unavailable"


def test_it_leaves_no_session_behind_a_refused_scope(client, master):
    make_user(master, "alice")
    form = {"grant_type": "password", "client_id": "admin-cli", "username": "alice"}
    form |= {"password": PASSWORD, "scope": "openid no-such-scope"}
    response = post_form(client, endpoint(master, "token"), form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not UserSession.objects.exists()


def test_it_refuses_a_user_with_a_temporary_password(client, master):
    make_user(master, "alice", password_temporary=True)
    response = password_grant(client, master, "alice")
    assert response.json()["error"] == "invalid_grant"


def test_it_validates_ownership(client, master):
    """A user of another realm cannot sign in through the master realm's admin-cli."""
    other = make_realm("acme", **FAST)
    make_user(other, "bob")
    assert password_grant(client, master, "bob").json()["error"] == "invalid_grant"
    assert Realm.objects.count() == 2
