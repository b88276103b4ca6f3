"""Keycloak's clientPolicies and clientProfiles in realm files: imported, honoured, exported as
they came; what this server would not apply is said, what it cannot store refused."""

import pytest

from authserver.realmfile import reader
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import export_realm
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db

POLICIES = {
    "policies": [
        {
            "name": "fapi",
            "description": "Open banking",
            "enabled": True,
            "conditions": [{"condition": "client-roles", "configuration": {"roles": ["payments"]}}],
            "profiles": ["fapi-2-dpop-security-profile", "mine"],
        }
    ]
}
PROFILES = {
    "profiles": [
        {
            "name": "mine",
            "description": "",
            "executors": [{"executor": "pkce-enforcer", "configuration": {"auto-configure": True}}],
        }
    ]
}


def test_it_round_trips_the_policies_and_profiles():
    document = small(
        defaultSignatureAlgorithm="ES256", clientPolicies=POLICIES, clientProfiles=PROFILES
    )
    realm = load(document)
    exported = export_realm(realm)
    assert exported["clientPolicies"] == POLICIES
    assert exported["clientProfiles"] == PROFILES


def test_it_says_which_parts_it_would_not_apply():
    profiles = {"profiles": [{"name": "mine", "executors": [{"executor": "secure-ciba-session"}]}]}
    document = small(defaultSignatureAlgorithm="ES256", clientProfiles=profiles)
    reading = reader.read(document)
    assert any("secure-ciba-session" in note for note in reading.notes)


def test_it_refuses_a_policy_naming_an_unknown_profile():
    document = small(
        defaultSignatureAlgorithm="ES256",
        clientPolicies={"policies": [POLICIES["policies"][0] | {"profiles": ["nowhere"]}]},
    )
    with pytest.raises(RealmFileError, match="unknown profile"):
        reader.read(document)


def test_it_refuses_fapi_in_a_realm_that_signs_with_rs256():
    document = small(clientPolicies=POLICIES, clientProfiles=PROFILES)
    with pytest.raises(RealmFileError, match="ES256"):
        reader.read(document)
