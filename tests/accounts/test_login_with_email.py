"""Keycloak's loginWithEmailAllowed (on by default: the address names the user at the login
and at a forgotten password) and duplicateEmailsAllowed (off by default: no two users of a
realm share an address; on, nobody signs in with one), at the login, the forgotten password,
registration and the account console."""

import pytest
from django.test import Client as Browser

from accounts import mail
from accounts.models import ActionToken, Event, User, UserSession
from tests.factories import PASSWORD, make_realm, make_user
from tests.protocol.helpers import SECRET, endpoint, login, make_web_client, post_form

pytestmark = pytest.mark.django_db

NEXT = "/realms/{}/account"


def signs_in(realm, name) -> bool:
    response = login(Browser(), realm, name, next_url=NEXT.format(realm.name))
    return response.status_code == 302 and response["Location"] == NEXT.format(realm.name)


def test_it_signs_in_with_the_address_by_default():
    realm = make_realm()
    make_user(realm, "alice", email="Alice@Example.com")
    assert realm.login_with_email_allowed and not realm.duplicate_emails_allowed
    assert signs_in(realm, "alice@example.com")
    assert signs_in(realm, "alice")
    page = Browser().get(f"/realms/{realm.name}/login").content.decode()
    assert '<label for="username">Username or e-mail</label>' in page


def test_another_realms_address_names_nobody():
    realm, charlie = make_realm(), make_realm("charlie")
    make_user(charlie, "bob", email="bob@example.com")
    assert not signs_in(realm, "bob@example.com")
    assert signs_in(charlie, "bob@example.com")


def test_without_login_with_email_only_the_username_signs_in():
    realm = make_realm(login_with_email_allowed=False)
    make_user(realm, "alice", email="alice@example.com")
    assert not signs_in(realm, "alice@example.com")
    assert signs_in(realm, "alice")
    event = Event.objects.get(type="LOGIN_ERROR")
    assert event.username == "alice@example.com" and event.error == "invalid_user_credentials"
    page = Browser().get(f"/realms/{realm.name}/login").content.decode()
    assert '<label for="username">Username</label>' in page


def test_an_address_that_is_a_username_signs_in_as_that_user_without_email_login():
    realm = make_realm(login_with_email_allowed=False)
    make_user(realm, "carol@example.com", email="other@example.com")
    assert signs_in(realm, "carol@example.com")


def test_with_duplicate_emails_allowed_nobody_signs_in_with_an_address():
    realm = make_realm(duplicate_emails_allowed=True)
    make_user(realm, "alice", email="shared@example.com")
    make_user(realm, "bob", email="shared@example.com")
    assert realm.login_with_email_allowed  # as set, but it does not apply
    assert not signs_in(realm, "shared@example.com")
    assert signs_in(realm, "bob")
    assert not UserSession.objects.filter(user__username="alice").exists()


def test_the_password_grant_takes_the_address_where_the_login_does():
    realm = make_realm()
    make_web_client(realm, attributes={"direct.access.grants.enabled": "true"})
    make_user(realm, "alice", email="alice@example.com")
    form = {
        "grant_type": "password",
        "client_id": "app",
        "client_secret": SECRET,
        "username": "alice@example.com",
        "password": PASSWORD,
    }
    assert post_form(Browser(), endpoint(realm, "token"), form).status_code == 200
    realm.login_with_email_allowed = False
    realm.save()
    refused = post_form(Browser(), endpoint(realm, "token"), form)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "settings_, mailed",
    [({}, True), ({"login_with_email_allowed": False}, False)],
)
def test_a_forgotten_password_is_asked_for_by_address_where_the_login_takes_one(
    settings_, mailed, mailoutbox
):
    realm = make_realm(reset_password_allowed=True, **settings_)
    make_user(realm, "alice", email="alice@example.com")
    answer = Browser().post(
        f"/realms/{realm.name}/login/reset-credentials", {"username": "alice@example.com"}
    )
    assert answer.status_code == 200
    mail.deliver_due()
    assert len(mailoutbox) == (1 if mailed else 0)
    assert ActionToken.objects.exists() is mailed


def test_registration_refuses_a_taken_address_unless_duplicates_are_allowed():
    form = {
        "username": "bob",
        "email": "ALICE@example.com",
        "firstName": "Bob",
        "lastName": "B",
        "password": "Bob-Password-1",
        "password-confirm": "Bob-Password-1",
    }
    strict = make_realm(registration_allowed=True)
    make_user(strict, "alice", email="alice@example.com")
    refused = Browser().post(f"/realms/{strict.name}/login/registrations", form)
    assert refused.status_code == 400 and "exists already" in refused.content.decode()
    lenient = make_realm(registration_allowed=True, duplicate_emails_allowed=True)
    make_user(lenient, "alice", email="alice@example.com")
    assert Browser().post(f"/realms/{lenient.name}/login/registrations", form).status_code == 302
    assert User.objects.get(realm=lenient, username="bob").email == "ALICE@example.com"


def test_the_account_console_refuses_another_users_address(mailoutbox):
    realm = make_realm()
    alice = make_user(realm, "alice", email="alice@example.com")
    make_user(realm, "bob", email="bob@example.com")
    browser = Browser()
    login(browser, realm, "alice")
    profile = f"/realms/{realm.name}/account"
    refused = browser.post(
        profile, {"email": "Bob@Example.com", "firstName": "Alice", "lastName": "L"}
    )
    assert refused.status_code == 400
    assert "Another user of this realm has this e-mail address." in refused.content.decode()
    mail.deliver_due()
    assert not mailoutbox
    alice.refresh_from_db()
    assert alice.email == "alice@example.com" and alice.first_name == ""
    # Her own address in other letters is no change of address.
    same = browser.post(
        profile, {"email": "ALICE@example.com", "firstName": "Alice", "lastName": "L"}
    )
    assert same.status_code == 200


def test_an_address_taken_since_the_link_was_mailed_is_not_confirmed(mailoutbox):
    realm = make_realm()
    alice = make_user(realm, "alice", email="alice@example.com", email_verified=True)
    browser = Browser()
    login(browser, realm, "alice")
    browser.post(
        f"/realms/{realm.name}/account",
        {"email": "new@example.com", "firstName": "Alice", "lastName": "L"},
    )
    mail.deliver_due()
    (message,) = mailoutbox
    link = message.body.split(realm.issuer)[1].split()[0]
    make_user(realm, "bob", email="NEW@example.com")
    key = link.split("key=")[1]
    answer = browser.post(f"/realms/{realm.name}{link}", {"key": key})
    assert answer.status_code == 409 and "Another account" in answer.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_the_update_profile_action_refuses_another_users_address():
    realm = make_realm()
    make_user(realm, "alice", email="alice@example.com", required_actions=["UPDATE_PROFILE"])
    make_user(realm, "bob", email="bob@example.com")
    browser = Browser()
    step = login(browser, realm, "alice")["Location"]
    assert step.endswith("/login/update-profile")
    refused = browser.post(
        step, {"email": "bob@example.com", "firstName": "Alice", "lastName": "L"}
    )
    assert refused.status_code == 400 and "Another user" in refused.content.decode()
    assert not UserSession.objects.exists()
