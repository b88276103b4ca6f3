"""Users' passkeys in realm files, as Keycloak exports them (``webauthn`` and
``webauthn-passwordless`` credentials with ``credentialData``): imported so that the same
authenticator signs in, exported the same way, a malformed one skipped with a warning naming
it. A software authenticator stands for the user's."""

import base64
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.test import Client as Browser

from accounts import webauthn_policy
from accounts.models import Passkey, User, UserSession
from authserver.adminapi import realm_management as rm
from authserver.realmfile import reader
from authserver.realmfile.exporter import export_realm
from tests.accounts.soft_authenticator import SoftAuthenticator, options_on
from tests.adminapi.helpers import admin_token, call, url
from tests.protocol.helpers import login
from tests.realmfile.documents import load, small, write

pytestmark = pytest.mark.django_db

ALICE_ID = "5d5f0b0e-57a3-4c43-9b7b-2f1c1d1e0a01"
PASSWORD = "alice-Password1"


def keycloak_credential(key: SoftAuthenticator, kind="webauthn-passwordless", **changes) -> dict:
    """A passkey as Keycloak exports it: standard base64, padded, a COSE key."""
    data = {
        "aaguid": "00000000-0000-0000-0000-000000000000",
        "credentialId": base64.b64encode(key.credential_id).decode(),
        "counter": 7,
        "attestationStatement": None,
        "credentialPublicKey": base64.b64encode(key.cose_key()).decode(),
        "attestationStatementFormat": "none",
        "transports": ["internal"],
    } | changes
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "userLabel": "Phone",
        "createdDate": 1714557600000,
        "secretData": "{}",
        "credentialData": json.dumps(data),
    }


def with_passkeys(*credentials, **fields) -> dict:
    document = small(
        webAuthnPolicyPasswordlessPasskeysEnabled=True,
        **fields,
    )
    user = document["users"][0]
    user["id"] = ALICE_ID
    user["credentials"] += list(credentials)
    return document


def sign_in_alone(realm, key) -> int:
    browser = Browser()
    path = f"/realms/{realm.name}/login/passkey-sign-in"
    options = options_on(browser.post(path).content.decode())
    return browser.post(
        path, {"credential": key.get(options, webauthn_policy.origin())}
    ).status_code


def second_factor(realm, key) -> int:
    browser = Browser()
    step = login(browser, realm, "alice", PASSWORD)["Location"]
    assert step.endswith("/login/passkey")
    options = options_on(browser.get(step).content.decode())
    return browser.post(
        step, {"credential": key.get(options, webauthn_policy.origin())}
    ).status_code


def test_a_keycloak_passkey_signs_in_after_the_import():
    alone, after_password = SoftAuthenticator(), SoftAuthenticator()
    # The user handle Keycloak gave: its user id as UTF-8.
    alone.user_handle = ALICE_ID.encode()
    document = with_passkeys(
        keycloak_credential(alone),
        keycloak_credential(after_password, kind="webauthn", transports=["USB", "nfc"]),
    )
    realm = load(document)
    imported = {each.passwordless: each for each in Passkey.objects.all()}
    assert imported[True].sign_count == 7 and imported[True].name == "Phone"
    assert imported[True].transports == ["internal"] and imported[False].transports == [
        "usb",
        "nfc",
    ]
    # The counter goes on from the file's.
    alone.sign_count = after_password.sign_count = 7
    assert sign_in_alone(realm, alone) == 302
    assert second_factor(realm, after_password) == 302
    assert UserSession.objects.filter(amr=["hwk"]).exists()
    assert UserSession.objects.filter(amr=["pwd", "hwk"]).exists()


def test_an_authenticator_whose_counter_went_back_is_refused():
    key = SoftAuthenticator()
    key.user_handle = ALICE_ID.encode()
    realm = load(with_passkeys(keycloak_credential(key, counter=50)))
    assert sign_in_alone(realm, key) == 400  # it says 1: a cloned authenticator


def test_it_exports_passkeys_as_keycloak_does_and_takes_them_back():
    realm = load(with_passkeys())
    browser = Browser()
    login(browser, realm, "alice", PASSWORD)
    path = f"/realms/{realm.name}/account/signing-in/passwordless-passkey"
    key = SoftAuthenticator()
    options = options_on(browser.get(path).content.decode())
    browser.post(path, {"credential": key.register(options, webauthn_policy.origin())})
    exported = export_realm(realm)
    (credential,) = [
        each for each in exported["users"][0]["credentials"] if each["type"] != "password"
    ]
    assert credential["type"] == "webauthn-passwordless" and credential["secretData"] == "{}"
    data = json.loads(credential["credentialData"])
    assert base64.b64decode(data["credentialId"], validate=True) == key.credential_id
    assert base64.b64decode(data["credentialPublicKey"]) == key.cose_key()
    assert data["counter"] == 1 and data["transports"] == ["usb"]
    assert data["aaguid"] == "6e0f7a3c-1a2b-4c5d-8e9f-0a1b2c3d4e5f"
    assert data["attestationStatementFormat"] == "none"
    again = load(exported, overwrite=True)
    assert export_realm(again) == exported
    assert sign_in_alone(again, key) == 302


@pytest.mark.parametrize(
    ("credential", "field", "message"),
    [
        (
            {"credentialPublicKey": base64.b64encode(b"\xa1\x01\x02").decode()},
            "credentialData",
            "not a COSE public key",
        ),
        ({"credentialId": "%%%"}, "credentialData", "credentialId is not base64"),
        ({"credentialId": None}, "credentialData", "credentialId must be base64"),
        ({"counter": -1}, "credentialData", "counter"),
    ],
)
def test_a_malformed_passkey_is_skipped_with_a_warning(credential, field, message):
    document = with_passkeys(keycloak_credential(SoftAuthenticator(), **credential))
    reading = reader.read(document)
    (note,) = reading.notes
    assert note.startswith(
        f"users[0].credentials[1].{field}: webauthn-passwordless credential skipped"
    )
    assert message in note
    realm = load(document)
    assert realm.users.get().check_password(PASSWORD) and not Passkey.objects.exists()


def test_a_passkey_without_credential_data_or_with_bad_json_is_skipped():
    broken = keycloak_credential(SoftAuthenticator())
    del broken["credentialData"]
    not_json = keycloak_credential(SoftAuthenticator(), kind="webauthn")
    not_json["secretData"] = "{not json"
    reading = reader.read(with_passkeys(broken, not_json))
    assert reading.notes == (
        "users[0].credentials[1].credentialData: webauthn-passwordless credential skipped: "
        "is required",
        "users[0].credentials[2].secretData: webauthn credential skipped: is not JSON",
    )


def test_a_passkey_two_users_hold_is_kept_for_the_first_only(tmp_path):
    key = SoftAuthenticator()
    document = with_passkeys(keycloak_credential(key))
    document["users"].append(
        {"username": "bob", "credentials": [keycloak_credential(key, kind="webauthn")]}
    )
    err = io.StringIO()
    call_command("import_realm", write(tmp_path, document), stdout=io.StringIO(), stderr=err)
    assert (
        'warning: users[1].credentials: a webauthn credential that user "alice" has too; skipped'
        in err.getvalue()
    )
    assert list(Passkey.objects.values_list("user__username", flat=True)) == ["alice"]


def test_the_admin_api_leaves_passkeys_to_their_user(client):
    realm = load(small())
    token = admin_token(realm, rm.MANAGE_USERS)
    body = {"username": "bob", "credentials": [keycloak_credential(SoftAuthenticator())]}
    refused = call(client, "POST", url(realm, "users"), token, body)
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"credentials"}
    assert not User.objects.filter(username="bob").exists()
