"""The console and Keycloak's duplicateEmailsAllowed and loginWithEmailAllowed: a user's
address is not another's of the realm unless the realm allows it; both settings are edited on
the realm's page."""

import pytest

from accounts.models import User
from tests.admin.helpers import form_data
from tests.factories import make_realm, make_user

pytestmark = pytest.mark.django_db


def add(console, realm, username, email):
    return console.post(
        "/admin/accounts/user/add/",
        {"realm": realm.pk, "username": username, "email": email, "is_active": "on"},
    )


def test_it_refuses_to_add_a_user_with_a_taken_address(console):
    realm, charlie = make_realm(), make_realm("charlie")
    make_user(realm, "alice", email="alice@example.com")
    refused = add(console, realm, "bob", "Alice@Example.com")
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["email"] == [
        "Another user of this realm has this e-mail address."
    ]
    assert not User.objects.filter(username="bob").exists()
    assert add(console, charlie, "bob", "alice@example.com").status_code == 302


def test_it_refuses_to_give_a_user_a_taken_address(console):
    realm = make_realm()
    make_user(realm, "alice", email="alice@example.com")
    bob = make_user(realm, "bob", email="bob@example.com")
    url = f"/admin/accounts/user/{bob.pk}/change/"
    page = console.get(url)
    refused = console.post(url, form_data(page, email="alice@example.com"))
    assert refused.status_code == 200 and "email" in refused.context["adminform"].form.errors
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"
    assert console.post(url, form_data(page, first_name="Bob")).status_code == 302


def test_where_duplicates_are_allowed_the_console_adds_them(console):
    realm = make_realm(duplicate_emails_allowed=True)
    make_user(realm, "alice", email="alice@example.com")
    assert add(console, realm, "bob", "alice@example.com").status_code == 302


def test_the_realm_page_edits_both_settings(console):
    realm = make_realm()
    url = f"/admin/accounts/realm/{realm.pk}/change/"
    page = console.get(url)
    body = page.content.decode()
    assert 'name="login_with_email_allowed"' in body and 'name="duplicate_emails_allowed"' in body
    data = form_data(page, login_with_email_allowed=False, duplicate_emails_allowed=True)
    assert console.post(url, data).status_code == 302
    realm.refresh_from_db()
    assert not realm.login_with_email_allowed and realm.duplicate_emails_allowed
