"""The realm's WebAuthn policy (Keycloak's webAuthnPolicy*) as the pages' options carry it to
the browser, and as the answers are checked: algorithms, relying party, attestation,
attachment, discoverable credentials, user verification, timeout, excluded authenticators,
acceptable models. A software authenticator answers (the browser tests use Chromium's)."""

import base64

import pytest
from django.test import Client as Browser

from accounts import webauthn_policy
from accounts.models import Passkey
from tests.accounts.soft_authenticator import SoftAuthenticator, options_on
from tests.factories import make_realm, make_user
from tests.protocol.helpers import login

pytestmark = pytest.mark.django_db

ADD = "/realms/{}/account/signing-in/passkey"


def signed_in(realm, username="alice") -> Browser:
    browser = Browser()
    assert login(browser, realm, username).status_code == 302
    return browser


def add_page(browser, realm) -> dict:
    response = browser.get(ADD.format(realm.name))
    assert response.status_code == 200
    return options_on(response.content.decode())


def add(browser, realm, authenticator, name="Key") -> int:
    options = add_page(browser, realm)
    answer = authenticator.register(options, webauthn_policy.origin())
    return browser.post(ADD.format(realm.name), {"credential": answer, "name": name}).status_code


def test_it_offers_keycloaks_defaults():
    realm = make_realm("acme", display_name="Acme")
    alice = make_user(realm, "alice")
    browser = signed_in(realm)
    assert add(browser, realm, SoftAuthenticator()) == 302
    options = add_page(browser, realm)
    assert options["rp"] == {"name": "Acme", "id": webauthn_policy.server_host()}
    # Keycloak's user id as UTF-8: a passkey moves between the two with the user.
    assert base64.urlsafe_b64decode(options["user"]["id"] + "==") == str(alice.subject).encode()
    assert [each["alg"] for each in options["pubKeyCredParams"]] == [-7, -257]
    assert options["attestation"] == "none" and options["timeout"] == 60000
    assert options["authenticatorSelection"] == {
        "residentKey": "preferred",
        "requireResidentKey": False,
        "userVerification": "preferred",
    }
    # avoidSameAuthenticatorRegister is off by default, as in Keycloak.
    assert options["excludeCredentials"] == []


def test_it_honours_the_policy():
    realm = make_realm(
        webauthn_policy={
            "rpEntityName": "Acme ID",
            "signatureAlgorithms": ["ES256"],
            "attestationConveyancePreference": "direct",
            "authenticatorAttachment": "cross-platform",
            "requireResidentKey": "Yes",
            "userVerificationRequirement": "required",
            "createTimeout": 120,
            "avoidSameAuthenticatorRegister": True,
        }
    )
    make_user(realm, "alice")
    browser = signed_in(realm)
    key = SoftAuthenticator()
    assert add(browser, realm, key) == 302
    options = add_page(browser, realm)
    assert options["rp"]["name"] == "Acme ID"
    assert [each["alg"] for each in options["pubKeyCredParams"]] == [-7]
    assert options["attestation"] == "direct" and options["timeout"] == 120000
    assert options["authenticatorSelection"] == {
        "authenticatorAttachment": "cross-platform",
        "residentKey": "required",
        "requireResidentKey": True,
        "userVerification": "required",
    }
    assert [each["id"] for each in options["excludeCredentials"]] == [key.id]
    # At the next login the second factor asks for user verification too.
    again = Browser()
    step = login(again, realm, "alice")["Location"]
    assert options_on(again.get(step).content.decode())["userVerification"] == "required"


def test_a_required_user_verification_refuses_an_authenticator_that_did_not_verify():
    realm = make_realm(webauthn_policy={"userVerificationRequirement": "required"})
    make_user(realm, "alice")
    browser = signed_in(realm)
    assert add(browser, realm, SoftAuthenticator(user_verified=False)) == 400
    assert add(browser, realm, SoftAuthenticator(user_verified=True)) == 302
    assert Passkey.objects.count() == 1


def test_an_algorithm_outside_the_policy_is_refused():
    realm = make_realm(webauthn_policy={"signatureAlgorithms": ["RS256"]})
    make_user(realm, "alice")
    assert add(signed_in(realm), realm, SoftAuthenticator()) == 400  # it signs with ES256
    assert not Passkey.objects.exists()


def test_only_acceptable_models_are_registered():
    listed = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
    realm = make_realm(webauthn_policy={"acceptableAaguids": [listed.upper()]})
    make_user(realm, "alice")
    browser = signed_in(realm)
    assert add(browser, realm, SoftAuthenticator()) == 400
    assert add(browser, realm, SoftAuthenticator(aaguid=listed)) == 302
    assert Passkey.objects.get().aaguid == listed


def test_a_credential_is_one_users_only_in_a_realm():
    realm, charlie = make_realm(), make_realm("charlie")
    make_user(realm, "alice"), make_user(realm, "bob"), make_user(charlie, "alice")
    key = SoftAuthenticator()
    assert add(signed_in(realm, "alice"), realm, key) == 302
    assert add(signed_in(realm, "bob"), realm, key) == 400
    # Another realm is another relying party's business.
    assert add(signed_in(charlie, "alice"), charlie, key) == 302


def test_a_relying_party_id_must_serve_this_servers_origin():
    assert webauthn_policy.rp_id_problem("") is None
    host = webauthn_policy.server_host()
    assert webauthn_policy.rp_id_problem(host) is None
    assert "a domain it is under" in webauthn_policy.rp_id_problem("example.org")


def test_a_synced_passkey_is_a_software_key():
    from accounts import passkeys

    realm = make_realm()
    make_user(realm, "alice")
    assert add(signed_in(realm), realm, SoftAuthenticator(backup_eligible=True)) == 302
    synced = Passkey.objects.get()
    assert synced.backup_eligible and passkeys.method(synced) == "swk"
