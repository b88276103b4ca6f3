"""Mail sent through the realm's smtpServer to a real SMTP server (aiosmtpd), and its links
followed: forgot password, VERIFY_EMAIL, a new address confirmed."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client as Browser
from django.utils import timezone

from accounts.models import ActionToken, Event, User, UserSession
from tests.factories import make_realm, make_user
from tests.mailbox import mailbox  # noqa: F401 (a fixture)
from tests.protocol.helpers import login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Pass-42"


@pytest.fixture
def realm(mailbox):  # noqa: F811
    return make_realm(
        "acme",
        reset_password_allowed=True,
        smtp_server=mailbox.smtp_server,
        password_policy="length(10)",
    )


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def forgot(http, realm, name):
    return http.post(f"/realms/{realm.name}/login/reset-credentials", {"username": name})


def test_it_resets_a_forgotten_password_through_a_single_use_link(client, realm, mailbox):  # noqa: F811
    user = make_user(realm, "alice", email="alice@example.com")
    elsewhere = Browser()
    login(elsewhere, realm, "alice")
    assert "Forgot your password?" in client.get(f"/realms/{realm.name}/login").content.decode()
    answer = forgot(client, realm, "alice@example.com")
    assert answer.status_code == 200
    (message,) = mailbox.to("alice@example.com")
    assert message["From"] == "Acme <no-reply@acme.example>"
    link = path_of(mailbox.link_in(message, "/login/action/reset-password"))
    key = link.split("key=")[1]
    assert not ActionToken.objects.filter(token_hash=key).exists()  # only its hash is kept
    # Opening the link spends nothing; a weak password neither.
    assert client.get(link).status_code == 200
    weak = client.post(link, {"password-new": "short", "password-confirm": "short"})
    assert weak.status_code == 400
    done = client.post(link, {"password-new": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert done.status_code == 200 and "has been changed" in done.content.decode()
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert not UserSession.objects.filter(user=user, ended__isnull=True).exists()
    again = client.post(
        link, {"password-new": "Another-Pass-43", "password-confirm": "Another-Pass-43"}
    )
    assert again.status_code == 400 and "no longer valid" in again.content.decode()
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_it_answers_the_same_whether_the_account_exists_or_not(client, realm, mailbox):  # noqa: F811
    make_user(realm, "alice", email="alice@example.com")
    make_user(realm, "nomail")
    names = ("alice", "nobody", "nomail", "x@example.com")
    pages = [forgot(client, realm, name) for name in names]
    assert len({(page.status_code, page.content) for page in pages}) == 1
    assert len(mailbox.messages) == 1


def test_a_newer_link_voids_the_older_one_and_links_expire(client, realm, mailbox):  # noqa: F811
    make_user(realm, "alice", email="alice@example.com")
    forgot(client, realm, "alice")
    forgot(client, realm, "alice")
    first, second = (path_of(mailbox.link_in(m, "/reset-password")) for m in mailbox.messages)
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert client.get(second).status_code == 400


def test_it_is_refused_where_the_realm_does_not_allow_it(client, mailbox):  # noqa: F811
    realm = make_realm("plain", smtp_server=mailbox.smtp_server)
    make_user(realm, "alice", email="alice@example.com")
    assert forgot(client, realm, "alice").status_code == 404
    assert "Forgot" not in client.get(f"/realms/{realm.name}/login").content.decode()
    assert not mailbox.messages


def test_a_link_of_one_realm_is_nothing_in_another(client, realm, mailbox):  # noqa: F811
    other = make_realm("charlie")
    make_user(realm, "alice", email="alice@example.com")
    forgot(client, realm, "alice")
    link = path_of(mailbox.link_in(mailbox.messages[0], "/reset-password"))
    assert client.get(link.replace("/realms/acme/", "/realms/charlie/")).status_code == 400
    assert other.name == "charlie"


def test_it_asks_for_a_verified_address_at_login(client, realm, mailbox):  # noqa: F811
    realm.verify_email = True
    realm.save()
    user = make_user(realm, "alice", email="alice@example.com", email_verified=False)
    response = login(client, realm, "alice", next_url=f"/realms/{realm.name}/x")
    assert response["Location"] == f"/realms/{realm.name}/login/verify-email"
    page = client.get(response["Location"])
    assert "alice@example.com" in page.content.decode()
    client.get(response["Location"])  # not sent twice by reloading
    assert len(mailbox.messages) == 1
    link = path_of(mailbox.link_in(mailbox.messages[0], "/login/action/verify-email"))
    assert "Confirm" in client.get(link).content.decode()
    done = client.post(link, {"key": link.split("key=")[1]})
    assert done.status_code == 302 and done["Location"] == f"/realms/{realm.name}/x"
    assert User.objects.get(pk=user.pk).email_verified
    assert Event.objects.filter(type="VERIFY_EMAIL", user=user).exists()


def test_the_verify_email_action_is_done_from_another_browser_too(client, realm, mailbox):  # noqa: F811
    user = make_user(realm, "alice", email="alice@example.com", required_actions=["VERIFY_EMAIL"])
    login(client, realm, "alice")
    client.get(f"/realms/{realm.name}/login/verify-email")
    link = path_of(mailbox.link_in(mailbox.messages[0], "/verify-email"))
    phone = Browser()
    done = phone.post(link, {"key": link.split("key=")[1]})
    assert done.status_code == 200 and "confirmed" in done.content.decode()
    user.refresh_from_db()
    assert user.email_verified and user.required_actions == []
    # Back in the first browser the login goes on.
    assert client.post(f"/realms/{realm.name}/login/continue").status_code == 302


def test_a_new_address_counts_once_its_link_is_followed(client, realm, mailbox):  # noqa: F811
    user = make_user(realm, "alice", email="alice@example.com", email_verified=True)
    login(client, realm, "alice")
    response = client.post(
        f"/realms/{realm.name}/account",
        {"email": "new@example.com", "firstName": "Alice", "lastName": "L"},
    )
    assert "We sent a link to <strong>new@example.com</strong>" in response.content.decode()
    user.refresh_from_db()
    assert (user.email, user.first_name) == ("alice@example.com", "Alice")
    (message,) = mailbox.to("new@example.com")
    link = path_of(mailbox.link_in(message, "/login/action/update-email"))
    Browser().post(link, {"key": link.split("key=")[1]})
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("new@example.com", True)
