"""Realm files carry Keycloak's loginWithEmailAllowed and duplicateEmailsAllowed; a file whose
users share an address imports only where the realm allows duplicates, as in Keycloak."""

import pytest

from authserver.realmfile import reader
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import export_realm
from tests.protocol.helpers import login
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db


def two_users(email_a: str, email_b: str) -> list[dict]:
    password = [{"type": "password", "value": "alice-Password1"}]
    return [
        {"username": "alice", "email": email_a, "credentials": password},
        {"username": "bob", "email": email_b, "credentials": password},
    ]


def test_the_defaults_are_keycloaks_and_round_trip():
    realm = load(small())
    assert realm.login_with_email_allowed and not realm.duplicate_emails_allowed
    changed = load(
        small("other", loginWithEmailAllowed=False, duplicateEmailsAllowed=True), overwrite=True
    )
    exported = export_realm(changed)
    assert exported["loginWithEmailAllowed"] is False
    assert exported["duplicateEmailsAllowed"] is True
    assert export_realm(load(exported, overwrite=True)) == exported


def test_it_refuses_users_sharing_an_address():
    document = small(users=two_users("alice@example.com", "ALICE@example.com"))
    with pytest.raises(RealmFileError) as refused:
        reader.read(document)
    assert refused.value.path == "users[1].email"
    assert "users[0].email" in refused.value.message
    assert "duplicateEmailsAllowed" in refused.value.message


def test_where_duplicates_are_allowed_they_import_and_nobody_signs_in_by_address(client):
    document = small(
        duplicateEmailsAllowed=True, users=two_users("shared@example.com", "shared@example.com")
    )
    realm = load(document)
    assert realm.users.filter(email="shared@example.com").count() == 2
    refused = login(client, realm, "shared@example.com", "alice-Password1")
    assert refused.status_code == 200
    assert login(client, realm, "bob", "alice-Password1").status_code == 302
