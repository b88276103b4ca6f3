"""PUT /admin/realms/{realm}/users/{id}/execute-actions-email: the actions are set and a link
mailed (through the realm's smtpServer, to a real SMTP server); following it runs them without
the password, and signs nobody in."""

from urllib.parse import urlsplit

import pytest

from accounts.models import User, UserSession
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_user
from tests.mailbox import mailbox  # noqa: F401 (a fixture)
from tests.protocol.helpers import login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Pass-42"


def test_it_mails_a_link_that_runs_the_actions(client, realm, mailbox):  # noqa: F811
    realm.smtp_server = mailbox.smtp_server
    realm.save()
    user = make_user(realm, "alice", email="alice@example.com")
    token = admin_token(realm, rm.MANAGE_USERS)
    path = url(realm, f"users/{user.subject}/execute-actions-email")
    body = ["UPDATE_PASSWORD", "UPDATE_PROFILE"]
    assert call(client, "PUT", path, token, body).status_code == 204
    user.refresh_from_db()
    assert user.password_temporary and user.required_actions == ["UPDATE_PROFILE"]

    (message,) = mailbox.to("alice@example.com")
    link = mailbox.link_in(message, "/login/action/execute-actions")
    parts = urlsplit(link)
    target = f"{parts.path}?{parts.query}"
    browser = type(client)()
    assert browser.get(target).status_code == 200
    step = browser.post(target, {"key": parts.query.split("key=")[1]})
    assert step["Location"] == f"/realms/{realm.name}/login/update-password"
    step = browser.post(
        step["Location"], {"password-new": NEW_PASSWORD, "password-confirm": NEW_PASSWORD}
    )
    assert step["Location"] == f"/realms/{realm.name}/login/update-profile"
    done = browser.post(
        step["Location"], {"email": "alice@example.com", "firstName": "A", "lastName": "L"}
    )
    assert done.status_code == 200 and "has been updated" in done.content.decode()
    assert not UserSession.objects.exists()
    user = User.objects.get(pk=user.pk)
    assert user.check_password(NEW_PASSWORD) and user.required_actions == []
    assert not user.password_temporary and user.email_verified
    assert login(type(client)(), realm, "alice", NEW_PASSWORD).status_code == 302


def test_it_refuses_unknown_actions_and_users_without_an_address(client, realm, other_realm):
    token = admin_token(realm, rm.MANAGE_USERS)
    user = make_user(realm, "alice", email="alice@example.com")
    path = url(realm, f"users/{user.subject}/execute-actions-email")
    assert call(client, "PUT", path, token, ["DELETE_EVERYTHING"]).status_code == 400
    assert call(client, "PUT", path, token, {"actions": []}).status_code == 400
    nomail = make_user(realm, "bob")
    bob_path = url(realm, f"users/{nomail.subject}/execute-actions-email")
    assert call(client, "PUT", bob_path, token, ["VERIFY_EMAIL"]).status_code == 400
    stranger = make_user(other_realm, "carol", email="carol@example.com")
    elsewhere = url(realm, f"users/{stranger.subject}/execute-actions-email")
    assert call(client, "PUT", elsewhere, token, ["VERIFY_EMAIL"]).status_code == 404
