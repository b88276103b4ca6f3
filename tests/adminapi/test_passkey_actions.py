"""The admin API's requiredActions take Keycloak's webauthn-register and
webauthn-register-passwordless, as do execute-actions-email and realm files."""

import pytest

from accounts.models import User
from authserver.adminapi import realm_management as rm
from authserver.realmfile.exporter import export_realm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_user
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db


def test_an_admin_asks_for_a_passkey_at_the_next_login(client, realm):
    token = admin_token(realm, rm.MANAGE_USERS)
    alice = make_user(realm, "alice", email="alice@example.com")
    path = url(realm, "users", str(alice.subject))
    body = {"requiredActions": ["webauthn-register", "webauthn-register-passwordless"]}
    assert call(client, "PUT", path, token, body).status_code == 204
    shown = call(client, "GET", path, token).json()
    assert shown["requiredActions"] == ["webauthn-register", "webauthn-register-passwordless"]
    # Names Keycloak does not give these actions are dropped, as a realm file's are.
    body = {"requiredActions": ["WEBAUTHN_REGISTER"]}
    assert call(client, "PUT", path, token, body).status_code == 204
    assert User.objects.get(pk=alice.pk).required_actions == []
    action = call(client, "PUT", f"{path}/execute-actions-email", token, ["webauthn-register"])
    assert action.status_code == 204
    assert User.objects.get(pk=alice.pk).required_actions == ["webauthn-register"]


def test_realm_files_keep_them():
    document = small()
    document["users"][0]["requiredActions"] = ["webauthn-register-passwordless"]
    realm = load(document)
    assert realm.users.get().required_actions == ["webauthn-register-passwordless"]
    assert export_realm(realm)["users"][0]["requiredActions"] == ["webauthn-register-passwordless"]
