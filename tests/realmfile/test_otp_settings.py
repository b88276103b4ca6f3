"""The realm file and the admin API carry the OTP policy, users' otp credentials (Keycloak's
secretData / credentialData) and required actions; an imported authenticator keeps working."""

import base64
import json

import pytest

from accounts.models import OTPDevice, Realm
from authserver.realmfile import reader
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import export_realm
from tests.accounts.otp_helpers import totp_code
from tests.protocol.helpers import login
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db

# As Keycloak exports an otp credential: the secret is the HMAC key as text.
KEYCLOAK_SECRET = "aB3dE5fG7hJ9kL1mN3pQ"
OTP_CREDENTIAL = {
    "type": "otp",
    "userLabel": "Phone",
    "createdDate": 1714557600000,
    "secretData": json.dumps({"value": KEYCLOAK_SECRET}),
    "credentialData": json.dumps(
        {"subType": "totp", "digits": 6, "counter": 0, "period": 30, "algorithm": "HmacSHA1"}
    ),
}
POLICY = {
    "otpPolicyType": "totp",
    "otpPolicyAlgorithm": "HmacSHA256",
    "otpPolicyDigits": 8,
    "otpPolicyPeriod": 60,
    "otpPolicyLookAheadWindow": 2,
    "otpPolicyInitialCounter": 3,
    "otpRequired": True,
}


def with_otp_user(**fields) -> dict:
    document = small(**fields)
    alice = document["users"][0]
    alice["credentials"].append(dict(OTP_CREDENTIAL))
    alice["requiredActions"] = ["UPDATE_PROFILE", "TERMS_AND_CONDITIONS"]
    alice["totp"] = True
    return document


def test_it_imports_a_keycloak_otp_credential_that_logs_in(client):
    realm = load(with_otp_user())
    device = OTPDevice.objects.get(user__username="alice")
    assert device.confirmed and device.name == "Phone"
    assert KEYCLOAK_SECRET not in device.secret_sealed
    response = login(client, realm, "alice", "alice-Password1")
    assert response["Location"] == f"/realms/{realm.name}/login/otp"
    base32 = base64.b32encode(KEYCLOAK_SECRET.encode()).decode()
    done = client.post(response["Location"], {"otp": totp_code(base32)})
    # The code was right: on to the required actions.
    assert done["Location"] == f"/realms/{realm.name}/login/terms"


def test_it_round_trips_the_policy_credentials_and_required_actions():
    realm = load(with_otp_user(**POLICY))
    exported = export_realm(realm)
    assert {key: exported[key] for key in POLICY} == POLICY
    (alice,) = exported["users"]
    assert alice["requiredActions"] == ["TERMS_AND_CONDITIONS", "UPDATE_PROFILE"]
    assert alice["totp"] is True
    (otp,) = [each for each in alice["credentials"] if each["type"] == "otp"]
    assert json.loads(otp["secretData"]) == {"value": KEYCLOAK_SECRET}
    assert json.loads(otp["credentialData"])["algorithm"] == "HmacSHA1"
    assert otp["userLabel"] == "Phone" and otp["createdDate"] == 1714557600000
    assert reader.read(exported).ignored == ()
    Realm.objects.filter(pk=realm.pk).delete()
    again = export_realm(load(exported))
    assert again["users"] == exported["users"]
    assert {key: again[key] for key in POLICY} == POLICY


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"otpPolicyType": "sms"}, "otpPolicyType"),
        ({"otpPolicyAlgorithm": "HmacMD5"}, "otpPolicyAlgorithm"),
        ({"otpPolicyDigits": 7}, "otpPolicyDigits"),
        ({"otpPolicyPeriod": 0}, "otpPolicyPeriod"),
    ],
)
def test_it_refuses_a_bad_policy(change, path):
    with pytest.raises(RealmFileError) as raised:
        load(small(**change))
    assert raised.value.path == path


def test_it_refuses_a_malformed_otp_credential():
    document = with_otp_user()
    document["users"][0]["credentials"][1]["credentialData"] = json.dumps({"digits": 7})
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert raised.value.path == "users[0].credentials[1].credentialData"
