"""Passwordless passkeys (Keycloak's webauthn-passwordless, where the realm's
webAuthnPolicyPasswordlessPasskeysEnabled is on): added in the account console or as the
required action webauthn-register-passwordless, then "Sign in with a passkey" from the login
page, the passkey naming the user, who the authenticator must have verified; the ID token says
amr ["hwk", "mfa"], acr "2". The required action webauthn-register adds a second-factor one.
A software authenticator answers (tests/e2e/test_passkeys.py drives Chromium's)."""

import pytest
from django.test import Client as Browser
from django.utils import timezone

from accounts import webauthn_policy
from accounts.models import Event, Passkey, User, UserSession
from tests.accounts.soft_authenticator import SoftAuthenticator, options_on
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    authorize_and_get_code,
    exchange_code,
    login,
    make_web_client,
    verify,
)

pytestmark = pytest.mark.django_db

ENABLED = {"passkeysEnabled": True}


def signed_in(realm, username="alice") -> Browser:
    browser = Browser()
    assert login(browser, realm, username).status_code == 302
    return browser


def add_passwordless(realm, username="alice", **authenticator) -> SoftAuthenticator:
    key = SoftAuthenticator(**authenticator)
    browser = signed_in(realm, username)
    path = f"/realms/{realm.name}/account/signing-in/passwordless-passkey"
    options = options_on(browser.get(path).content.decode())
    answer = key.register(options, webauthn_policy.origin())
    assert browser.post(path, {"credential": answer, "name": "Phone"}).status_code == 302
    return key


def sign_in(browser, realm, key, *, next_url="", **answer):
    """The login page's button, then the authenticator's answer."""
    path = f"/realms/{realm.name}/login/passkey-sign-in"
    page = browser.post(path, {"next": next_url})
    assert page.status_code == 200
    options = options_on(page.content.decode())
    credential = key.get(options, webauthn_policy.origin(), **answer)
    return browser.post(path, {"next": next_url, "credential": credential})


@pytest.fixture
def realm():
    realm = make_realm("acme", webauthn_policy_passwordless=ENABLED)
    make_user(realm, "alice")
    return realm


def test_only_a_realm_that_allows_it_offers_it():
    plain = make_realm("plain")
    make_user(plain, "alice")
    assert "Sign in with a passkey" not in Browser().get("/realms/plain/login").content.decode()
    assert Browser().post("/realms/plain/login/passkey-sign-in").status_code == 404
    browser = signed_in(plain)
    path = "/realms/plain/account/signing-in"
    assert browser.get(f"{path}/passwordless-passkey").status_code == 404
    assert "without a password" not in browser.get(path).content.decode()


def test_a_user_signs_in_with_a_passkey_alone(realm):
    make_web_client(realm, scopes=["openid"])
    page = Browser().get(f"/realms/{realm.name}/login").content.decode()
    assert "Sign in with a passkey" in page
    key = add_passwordless(realm)
    passkey = Passkey.objects.get()
    assert passkey.passwordless and passkey.name == "Phone" and passkey.transports == ["usb"]
    browser = Browser()
    page = browser.post(f"/realms/{realm.name}/login/passkey-sign-in")
    options = options_on(page.content.decode())
    # No user is named, and the authenticator must verify the user.
    assert "allowCredentials" not in options or options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    next_url = f"/realms/{realm.name}/account"
    answer = sign_in(browser, realm, key, next_url=next_url)
    assert answer.status_code == 302 and answer["Location"] == next_url
    session = UserSession.objects.get(user__username="alice", ended__isnull=True, amr=["hwk"])
    code = authorize_and_get_code(browser, realm, scope="openid")
    tokens = exchange_code(browser, realm, code).json()
    claims = verify(browser, realm, tokens["id_token"])
    assert claims["amr"] == ["hwk", "mfa"] and claims["acr"] == "2"
    assert claims["sid"] == str(session.sid)
    login_event = Event.objects.filter(type="LOGIN").latest("created")
    assert login_event.details["amr"] == ["hwk"]
    # A step-up asks nothing more of a passwordless session.
    assert authorize_and_get_code(browser, realm, scope="openid", acr_values="2")


def test_a_synced_passkey_is_a_software_key(realm):
    make_web_client(realm, scopes=["openid"])
    key = add_passwordless(realm, backup_eligible=True)
    browser = Browser()
    assert sign_in(browser, realm, key).status_code == 302
    code = authorize_and_get_code(browser, realm, scope="openid")
    claims = verify(browser, realm, exchange_code(browser, realm, code).json()["id_token"])
    assert claims["amr"] == ["swk", "mfa"] and claims["acr"] == "2"


def test_an_authenticator_that_did_not_verify_the_user_is_refused(realm):
    key = add_passwordless(realm)
    key.user_verified = False
    refused = sign_in(Browser(), realm, key)
    assert refused.status_code == 400 and "not accepted" in refused.content.decode()
    assert not UserSession.objects.filter(amr=["hwk"]).exists()
    event = Event.objects.get(type="LOGIN_ERROR")
    assert event.details == {"credential_type": "webauthn-passwordless"}


def test_registration_needs_user_verification_too(realm):
    browser = signed_in(realm)
    path = f"/realms/{realm.name}/account/signing-in/passwordless-passkey"
    options = options_on(browser.get(path).content.decode())
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    answer = SoftAuthenticator(user_verified=False).register(options, webauthn_policy.origin())
    assert browser.post(path, {"credential": answer}).status_code == 400
    assert not Passkey.objects.exists()


def test_a_second_factor_passkey_does_not_sign_in_alone(realm):
    browser = signed_in(realm)
    path = f"/realms/{realm.name}/account/signing-in/passkey"
    key = SoftAuthenticator()
    options = options_on(browser.get(path).content.decode())
    browser.post(path, {"credential": key.register(options, webauthn_policy.origin())})
    assert Passkey.objects.get().passwordless is False
    assert sign_in(Browser(), realm, key).status_code == 400


def test_another_realms_passkey_names_nobody(realm):
    key = add_passwordless(realm)
    charlie = make_realm("charlie", webauthn_policy_passwordless=ENABLED)
    make_user(charlie, "alice")
    assert sign_in(Browser(), charlie, key).status_code == 400
    assert not UserSession.objects.filter(realm=charlie).exists()


def test_a_disabled_or_locked_out_user_is_refused(realm):
    key = add_passwordless(realm)
    User.objects.filter(username="alice").update(is_active=False)
    assert sign_in(Browser(), realm, key).status_code == 400
    realm.brute_force_protected, realm.failure_factor = True, 3
    realm.save()
    User.objects.filter(username="alice").update(
        is_active=True, failed_logins=3, last_failed_login=timezone.now()
    )
    assert sign_in(Browser(), realm, key).status_code == 400
    User.objects.filter(username="alice").update(failed_logins=0)
    assert sign_in(Browser(), realm, key).status_code == 302


def test_an_answer_for_another_user_or_played_again_is_refused(realm):
    key = add_passwordless(realm)
    bob = make_user(realm, "bob")
    assert sign_in(Browser(), realm, key, user_handle=str(bob.subject).encode()).status_code == 400
    browser = Browser()
    path = f"/realms/{realm.name}/login/passkey-sign-in"
    options = options_on(browser.post(path).content.decode())
    credential = key.get(options, webauthn_policy.origin())
    assert browser.post(path, {"credential": credential}).status_code == 302
    replayed = Browser()
    replayed.post(path)  # a challenge of its own
    assert replayed.post(path, {"credential": credential}).status_code == 400


def test_the_required_action_adds_a_passwordless_passkey_at_login(realm):
    User.objects.filter(username="alice").update(
        required_actions=["webauthn-register-passwordless"]
    )
    browser = Browser()
    step = login(browser, realm, "alice", next_url=f"/realms/{realm.name}/account")["Location"]
    assert step == f"/realms/{realm.name}/login/webauthn-register-passwordless"
    options = options_on(browser.get(step).content.decode())
    key = SoftAuthenticator()
    answer = browser.post(step, {"credential": key.register(options, webauthn_policy.origin())})
    assert answer.status_code == 302 and answer["Location"] == f"/realms/{realm.name}/account"
    assert User.objects.get(username="alice").required_actions == []
    assert Passkey.objects.get().passwordless
    assert UserSession.objects.get().amr == ["pwd"]
    assert sign_in(Browser(), realm, key).status_code == 302


def test_the_required_action_webauthn_register_adds_a_second_factor(realm):
    User.objects.filter(username="alice").update(required_actions=["webauthn-register"])
    browser = Browser()
    step = login(browser, realm, "alice")["Location"]
    assert step == f"/realms/{realm.name}/login/webauthn-register"
    page = browser.get(step)
    assert "after your password" in page.content.decode()
    options = options_on(page.content.decode())
    key = SoftAuthenticator()
    forged = browser.post(step, {"credential": "{}"})
    assert forged.status_code == 400 and not UserSession.objects.exists()
    options = options_on(forged.content.decode())
    assert (
        browser.post(step, {"credential": key.register(options, webauthn_policy.origin())})[
            "Location"
        ]
        == "/realms/acme/account"
    )
    assert not Passkey.objects.get().passwordless
    assert UserSession.objects.get().amr == ["pwd", "hwk"]
    assert User.objects.get(username="alice").required_actions == []
    # The next login asks for it after the password.
    assert login(Browser(), realm, "alice")["Location"].endswith("/login/passkey")
