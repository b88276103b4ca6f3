"""Keycloak's client policies and profiles through the admin API (client-policies/policies and
client-policies/profiles): read, replaced whole, checked before they are stored."""

import pytest

from accounts.models import Realm
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_realm

pytestmark = pytest.mark.django_db

FAPI = {
    "name": "fapi",
    "enabled": True,
    "conditions": [
        {"condition": "client-access-type", "configuration": {"type": ["confidential"]}}
    ],
    "profiles": ["fapi-2-security-profile"],
}


@pytest.fixture
def bank(db):
    return make_realm("bank", default_signature_algorithm="ES256")


@pytest.fixture
def manager(bank):
    return admin_token(bank, rm.MANAGE_REALM)


def test_it_replaces_and_reads_the_policies(client, bank, manager):
    path = url(bank, "client-policies", "policies")
    assert call(client, "GET", path, manager).json() == {"policies": []}
    stored = call(client, "PUT", path, manager, {"policies": [FAPI]})
    assert stored.status_code == 204, stored.content
    assert call(client, "GET", path, manager).json() == {"policies": [FAPI]}
    assert Realm.objects.get(pk=bank.pk).client_policies == {"policies": [FAPI]}


def test_it_lists_the_global_profiles_when_asked(client, bank, manager):
    path = url(bank, "client-policies", "profiles")
    assert call(client, "GET", path, manager).json() == {"profiles": []}
    both = call(client, "GET", path + "?include-global-profiles=true", manager).json()
    assert {profile["name"] for profile in both["globalProfiles"]} == {
        "fapi-2-security-profile",
        "fapi-2-dpop-security-profile",
    }


def test_it_stores_a_realm_profile_a_policy_then_names(client, bank, manager):
    profile = {"name": "par-only", "executors": [{"executor": "secure-par-content"}]}
    profiles = call(
        client, "PUT", url(bank, "client-policies", "profiles"), manager, {"profiles": [profile]}
    )
    assert profiles.status_code == 204, profiles.content
    policy = FAPI | {"profiles": ["par-only"]}
    stored = call(
        client, "PUT", url(bank, "client-policies", "policies"), manager, {"policies": [policy]}
    )
    assert stored.status_code == 204, stored.content


@pytest.mark.parametrize(
    "policy, message",
    [
        (FAPI | {"profiles": ["no-such-profile"]}, "unknown profile"),
        (FAPI | {"conditions": [{"condition": "client-updater-source-host"}]}, "not supported"),
        ({"enabled": True, "profiles": []}, "name"),
        (FAPI | {"profiles": [{"name": "fapi-2-security-profile"}]}, "list of names"),
        (FAPI | {"conditions": [{"condition": ["any-client"]}]}, "not supported"),
    ],
)
def test_it_refuses_a_policy_it_could_not_apply(client, bank, manager, policy, message):
    path = url(bank, "client-policies", "policies")
    response = call(client, "PUT", path, manager, {"policies": [policy]})
    assert response.status_code == 400
    assert message in response.json()["error_description"]
    assert Realm.objects.get(pk=bank.pk).client_policies == {}


def test_it_refuses_a_profile_built_of_an_unknown_executor(client, bank, manager):
    profile = {"name": "mine", "executors": [{"executor": "intent-client-bind-checker"}]}
    path = url(bank, "client-policies", "profiles")
    response = call(client, "PUT", path, manager, {"profiles": [profile]})
    assert response.status_code == 400
    assert "intent-client-bind-checker" in response.json()["error_description"]


def test_it_refuses_fapi_in_a_realm_that_signs_with_rs256(client):
    realm = make_realm("rsa", default_signature_algorithm="RS256")
    token = admin_token(realm, rm.MANAGE_REALM)
    response = call(
        client, "PUT", url(realm, "client-policies", "policies"), token, {"policies": [FAPI]}
    )
    assert response.status_code == 400
    assert "ES256" in response.json()["error_description"]


def test_it_refuses_to_switch_a_fapi_realm_to_rs256(client, bank, manager):
    call(client, "PUT", url(bank, "client-policies", "policies"), manager, {"policies": [FAPI]})
    response = call(client, "PUT", url(bank), manager, {"defaultSignatureAlgorithm": "RS256"})
    assert response.status_code == 400
    assert Realm.objects.get(pk=bank.pk).default_signature_algorithm == "ES256"


def test_it_needs_manage_realm_to_change_them(client, bank):
    viewer = admin_token(bank, rm.VIEW_REALM)
    path = url(bank, "client-policies", "policies")
    assert call(client, "GET", path, viewer).status_code == 200
    assert call(client, "PUT", path, viewer, {"policies": [FAPI]}).status_code == 403


def test_it_keeps_another_realms_policies_out_of_reach(client, bank):
    other = make_realm("shop", default_signature_algorithm="ES256")
    token = admin_token(other, rm.MANAGE_REALM)
    response = call(
        client, "PUT", url(bank, "client-policies", "policies"), token, {"policies": [FAPI]}
    )
    assert response.status_code in (403, 404)
    assert Realm.objects.get(pk=bank.pk).client_policies == {}
