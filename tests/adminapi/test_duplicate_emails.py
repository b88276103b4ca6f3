"""The admin API and Keycloak's loginWithEmailAllowed and duplicateEmailsAllowed: the realm's
settings read and changed, and no two users of a realm sharing an address unless it allows it
(409, as Keycloak answers "User exists with same email")."""

import pytest

from accounts.models import User
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(realm):
    return admin_token(realm, rm.MANAGE_USERS)


def test_it_shows_and_changes_the_settings(client, realm):
    token = admin_token(realm, rm.MANAGE_REALM)
    shown = call(client, "GET", url(realm), token).json()
    assert shown["loginWithEmailAllowed"] is True and shown["duplicateEmailsAllowed"] is False
    body = {"loginWithEmailAllowed": False, "duplicateEmailsAllowed": True}
    assert call(client, "PUT", url(realm), token, body).status_code == 204
    realm.refresh_from_db()
    assert not realm.login_with_email_allowed and realm.duplicate_emails_allowed
    bad = call(client, "PUT", url(realm), token, {"duplicateEmailsAllowed": "yes"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"duplicateEmailsAllowed"}


def test_it_refuses_a_second_user_with_an_address(client, realm, other_realm, manager):
    make_user(realm, "alice", email="alice@example.com")
    make_user(other_realm, "carol", email="carol@example.com")
    body = {"username": "bob", "email": "ALICE@example.com"}
    refused = call(client, "POST", url(realm, "users"), manager, body)
    assert refused.status_code == 409
    assert not User.objects.filter(username="bob").exists()
    # Another realm's address is free here.
    body = {"username": "bob", "email": "carol@example.com"}
    assert call(client, "POST", url(realm, "users"), manager, body).status_code == 201


def test_it_refuses_to_give_a_user_anothers_address(client, realm, manager):
    make_user(realm, "alice", email="alice@example.com")
    bob = make_user(realm, "bob", email="bob@example.com")
    path = url(realm, "users", str(bob.subject))
    assert call(client, "PUT", path, manager, {"email": "Alice@example.com"}).status_code == 409
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"
    # Bob's own address, in other letters, and other changes of Bob's go through.
    body = {"email": "BOB@example.com", "firstName": "Bob"}
    assert call(client, "PUT", path, manager, body).status_code == 204


def test_where_duplicates_are_allowed_users_share_an_address(client, realm, manager):
    realm.duplicate_emails_allowed = True
    realm.save()
    make_user(realm, "alice", email="shared@example.com")
    body = {"username": "bob", "email": "shared@example.com"}
    assert call(client, "POST", url(realm, "users"), manager, body).status_code == 201
