"""Client-credentials tokens are not stored (protocol/stateless.py): a revocation denies their
jti, and every reader of bearer tokens refuses a denied, expired or orphaned one."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from accounts import process_cache
from authserver.adminapi import realm_management
from authserver.models import AccessToken, Client, RevokedToken
from tests.adminapi.helpers import admin_roles, call, url
from tests.factories import make_realm
from tests.protocol.helpers import introspect, make_machine_client, userinfo_status, verify
from tests.protocol.helpers import revoke as revoke_token
from tests.protocol.issued import service_token

pytestmark = pytest.mark.django_db


def revoke(http, realm, token, client_id="machine"):
    response = revoke_token(http, realm, token, client_id)
    assert response.status_code == 200, response.content
    return response


def test_it_issues_a_client_credentials_token_without_storing_it(client):
    realm = make_realm()
    make_machine_client(realm)

    token = service_token(client, realm, scope="openid")

    assert not AccessToken.objects.exists()
    claims = verify(client, realm, token, typ="at+jwt")
    assert claims["jti"].startswith("cc:")
    found = introspect(client, realm, token)
    assert found["active"] is True
    assert found["jti"] == claims["jti"]
    assert found["client_id"] == "machine"
    assert userinfo_status(client, realm, token) == 200


def test_it_denies_a_revoked_token_everywhere_until_it_expires(client):
    realm = make_realm()
    make_machine_client(realm)
    token = service_token(client, realm, scope="openid")
    claims = verify(client, realm, token)

    revoke(client, realm, token)

    assert introspect(client, realm, token) == {"active": False}
    assert userinfo_status(client, realm, token) == 401
    denied = RevokedToken.objects.get()
    assert (denied.realm, denied.jti, denied.client_id) == (realm, claims["jti"], "machine")
    assert int(denied.expires.timestamp()) == claims["exp"]
    # Revoking it again changes nothing.
    revoke(client, realm, token)
    assert RevokedToken.objects.count() == 1


def test_it_keeps_other_tokens_of_the_client_live(client):
    realm = make_realm()
    make_machine_client(realm)
    first, second = service_token(client, realm), service_token(client, realm)

    revoke(client, realm, first)

    assert introspect(client, realm, first)["active"] is False
    assert introspect(client, realm, second)["active"] is True


def test_it_ignores_a_revocation_by_another_client(client):
    realm = make_realm()
    make_machine_client(realm)
    make_machine_client(realm, "other")
    token = service_token(client, realm)

    revoke(client, realm, token, client_id="other")

    assert not RevokedToken.objects.exists()
    assert introspect(client, realm, token)["active"] is True


def test_it_ignores_another_realms_token(client):
    realm, charlie = make_realm(), make_realm()
    make_machine_client(realm)
    make_machine_client(charlie)
    token = service_token(client, realm)

    revoke(client, charlie, token)

    assert not RevokedToken.objects.exists()
    assert introspect(client, realm, token)["active"] is True
    assert introspect(client, charlie, token) == {"active": False}


def test_it_stores_nothing_for_an_expired_token_and_sweeps_expired_entries(client):
    realm = make_realm()
    make_machine_client(realm)
    old, expired = service_token(client, realm), service_token(client, realm)
    revoke(client, realm, old)
    assert RevokedToken.objects.count() == 1

    later = timezone.now() + timedelta(seconds=realm.access_token_lifespan + 1)
    with time_machine.travel(later):
        assert introspect(client, realm, expired) == {"active": False}
        revoke(client, realm, expired)
        assert not RevokedToken.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"enabled": False}, id="client disabled"),
        pytest.param({"service_accounts_enabled": False}, id="service account turned off"),
    ],
)
def test_it_refuses_the_token_once_its_client_may_no_longer_have_it(client, change):
    realm = make_realm()
    machine = make_machine_client(realm)
    make_machine_client(realm, "resource-server")
    token = service_token(client, realm, scope="openid")

    for name, value in change.items():
        setattr(machine, name, value)
    machine.save()

    assert introspect(client, realm, token, client_id="resource-server") == {"active": False}
    assert userinfo_status(client, realm, token) == 401


def test_another_process_refuses_the_token_of_a_disabled_client_within_a_poll(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    make_machine_client(realm, "resource-server")
    with time_machine.travel(time.time(), tick=False) as clock:
        token = service_token(client, realm, scope="openid")
        assert introspect(client, realm, token, client_id="resource-server")["active"] is True
        # The console of another process: the change (update() sends no signal in this one),
        # then what that process announces after its commit.
        Client.objects.filter(pk=machine.pk).update(enabled=False)
        cache.set(process_cache.GENERATION_KEY, "after-another-commit", timeout=None)
        clock.shift(process_cache.POLL_SECONDS)
        assert introspect(client, realm, token, client_id="resource-server") == {"active": False}
        assert userinfo_status(client, realm, token) == 401


def test_it_refuses_the_token_of_a_disabled_or_deleted_service_account(client):
    realm = make_realm()
    machine = make_machine_client(realm)
    make_machine_client(realm, "resource-server")
    token = service_token(client, realm)

    machine.service_account.is_active = False
    machine.service_account.save()
    assert introspect(client, realm, token, client_id="resource-server") == {"active": False}

    machine.delete()
    assert introspect(client, realm, token, client_id="resource-server") == {"active": False}


def test_it_lets_a_service_account_use_the_admin_api_until_its_token_is_revoked(client):
    realm = make_realm(default_signature_algorithm="ES256")
    machine = make_machine_client(realm)
    machine.service_account.roles.add(*admin_roles(realm, "view-users"))
    token = service_token(client, realm)
    assert realm_management.CLIENT_ID in verify(client, realm, token)["resource_access"]

    assert call(client, "GET", url(realm, "users"), token).status_code == 200
    revoke(client, realm, token)
    assert call(client, "GET", url(realm, "users"), token).status_code == 401
