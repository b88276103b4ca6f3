"""Keycloak's webAuthnPolicy* and webAuthnPolicyPasswordless* fields: imported, exported with
every setting, read and changed through the admin API and the console; wrong values named by
their field; an algorithm this server cannot verify left out, said so."""

import pytest

from accounts import webauthn_policy
from authserver.adminapi import realm_management as rm
from authserver.realmfile import reader
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import export_realm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_realm
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db

# As Keycloak 24 exports them, with a few settings changed.
KEYCLOAK_FIELDS = {
    "webAuthnPolicyRpEntityName": "keycloak",
    "webAuthnPolicySignatureAlgorithms": ["ES256", "RS256"],
    "webAuthnPolicyRpId": "",
    "webAuthnPolicyAttestationConveyancePreference": "indirect",
    "webAuthnPolicyAuthenticatorAttachment": "cross-platform",
    "webAuthnPolicyRequireResidentKey": "No",
    "webAuthnPolicyUserVerificationRequirement": "preferred",
    "webAuthnPolicyCreateTimeout": 30,
    "webAuthnPolicyAvoidSameAuthenticatorRegister": True,
    "webAuthnPolicyAcceptableAaguids": ["cb69481e-8ff7-4039-93ec-0a2729a154a8"],
    "webAuthnPolicyPasswordlessRpEntityName": "Acme",
    "webAuthnPolicyPasswordlessSignatureAlgorithms": ["ES256"],
    "webAuthnPolicyPasswordlessRpId": "",
    "webAuthnPolicyPasswordlessAttestationConveyancePreference": "not specified",
    "webAuthnPolicyPasswordlessAuthenticatorAttachment": "platform",
    "webAuthnPolicyPasswordlessRequireResidentKey": "Yes",
    "webAuthnPolicyPasswordlessUserVerificationRequirement": "required",
    "webAuthnPolicyPasswordlessCreateTimeout": 0,
    "webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister": False,
    "webAuthnPolicyPasswordlessAcceptableAaguids": [],
    "webAuthnPolicyPasswordlessPasskeysEnabled": True,
}


def test_it_imports_and_exports_every_setting():
    realm = load(small(**KEYCLOAK_FIELDS))
    assert realm.webauthn_policy["attestationConveyancePreference"] == "indirect"
    assert realm.webauthn_policy_passwordless["passkeysEnabled"] is True
    exported = export_realm(realm)
    assert {key: exported[key] for key in KEYCLOAK_FIELDS} == KEYCLOAK_FIELDS
    assert export_realm(load(exported, overwrite=True)) == exported


def test_a_realm_without_them_exports_keycloaks_defaults():
    exported = export_realm(load(small()))
    assert exported["webAuthnPolicySignatureAlgorithms"] == ["ES256", "RS256"]
    assert exported["webAuthnPolicyUserVerificationRequirement"] == "not specified"
    assert exported["webAuthnPolicyCreateTimeout"] == 0
    assert exported["webAuthnPolicyPasswordlessPasskeysEnabled"] is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("webAuthnPolicyAttestationConveyancePreference", "sometimes", "must be one of"),
        ("webAuthnPolicyPasswordlessRequireResidentKey", "yes", "must be one of"),
        ("webAuthnPolicyRpId", "https://auth.example.com", "host name"),
        ("webAuthnPolicyCreateTimeout", -1, "from 0"),
        ("webAuthnPolicyCreateTimeout", "30", "whole number"),
        ("webAuthnPolicyAcceptableAaguids", ["not-an-aaguid"], "not an AAGUID"),
        ("webAuthnPolicySignatureAlgorithms", "ES256", "a list"),
        ("webAuthnPolicyAvoidSameAuthenticatorRegister", "true", "true or false"),
    ],
)
def test_it_names_a_wrong_setting(field, value, message):
    with pytest.raises(RealmFileError) as refused:
        reader.read(small(**{field: value}))
    assert refused.value.path == field and message in refused.value.message


def test_an_algorithm_this_server_cannot_verify_is_left_out_with_a_note():
    reading = reader.read(small(webAuthnPolicySignatureAlgorithms=["ES384", "ES256"]))
    assert reading.realm.webauthn_policy["signatureAlgorithms"] == ["ES256"]
    assert "webAuthnPolicySignatureAlgorithms: ES384 not supported here; left out" in (
        reading.notes
    )


def test_the_admin_api_reads_and_changes_them(client):
    realm = make_realm("acme", default_signature_algorithm="ES256")
    token = admin_token(realm, rm.MANAGE_REALM)
    shown = call(client, "GET", url(realm), token).json()
    assert shown["webAuthnPolicyRequireResidentKey"] == "not specified"
    body = {
        "webAuthnPolicyUserVerificationRequirement": "required",
        "webAuthnPolicyPasswordlessPasskeysEnabled": True,
        "webAuthnPolicyRpId": webauthn_policy.server_host(),
    }
    assert call(client, "PUT", url(realm), token, body).status_code == 204
    realm.refresh_from_db()
    assert realm.webauthn_policy["userVerificationRequirement"] == "required"
    assert realm.webauthn_policy_passwordless["passkeysEnabled"] is True
    for field, value in [
        ("webAuthnPolicyRpId", "example.org"),
        ("webAuthnPolicyPasswordlessAuthenticatorAttachment", "usb"),
    ]:
        refused = call(client, "PUT", url(realm), token, {field: value})
        assert refused.status_code == 400 and set(refused.json()["fields"]) == {field}
    realm.refresh_from_db()
    assert realm.webauthn_policy["rpId"] == webauthn_policy.server_host()
