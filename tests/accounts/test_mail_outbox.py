"""The mail outbox: nothing is sent while a request is answered. A forgotten password's answer
does the same work, and takes no longer, whether the name is an account's or not; the mail
leaves after the answer, through a slow SMTP server too; what cannot be sent is retried with
backoff, then given up on; the message waits sealed."""

import io
import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import mail
from accounts.models import ActionToken, Event, OutgoingMail
from tests.factories import make_realm, make_user
from tests.mailbox import _free_port, mailbox  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def realm(mailbox):  # noqa: F811
    return make_realm("acme", reset_password_allowed=True, smtp_server=mailbox.smtp_server)


def forgot(http, realm, name):
    response = http.post(f"/realms/{realm.name}/login/reset-credentials", {"username": name})
    assert response.status_code == 200
    return response


def statements(http, realm, name) -> list[str]:
    """The SQL a forgotten-password request runs, its values left out."""
    with CaptureQueriesContext(connection) as captured:
        forgot(http, realm, name)
    shapes = []
    for query in captured.captured_queries:
        sql = re.sub(r"'(?:[^']|'')*'", "?", query["sql"])
        shapes.append(re.sub(r"\b\d+(\.\d+)?\b", "?", sql))
    return shapes


def test_it_does_the_same_work_whether_the_account_exists_or_not(client, realm, mailbox):  # noqa: F811
    make_user(realm, "alice", email="alice@example.com")
    forgot(client, realm, "warm-up")
    known = statements(client, realm, "alice")
    unknown = statements(client, realm, "nobody")
    assert known == unknown
    # Nothing was looked up, issued or sent while answering.
    assert not ActionToken.objects.exists() and not mailbox.received
    assert OutgoingMail.objects.count() == 3
    (message,) = mailbox.messages
    assert message["To"] == "alice@example.com"
    assert not OutgoingMail.objects.exists()
    missing = Event.objects.filter(type="RESET_PASSWORD_ERROR", error="user_not_found")
    assert sorted(missing.values_list("username", flat=True)) == ["nobody", "warm-up"]
    assert Event.objects.get(type="SEND_RESET_PASSWORD").ip_address == "127.0.0.1"


@pytest.mark.django_db(transaction=True)
def test_a_slow_mail_server_does_not_hold_up_the_answer(client, realm, mailbox):  # noqa: F811
    make_user(realm, "alice", email="alice@example.com")
    mailbox.server.delay = 3
    started = time.monotonic()
    forgot(client, realm, "alice")
    assert time.monotonic() - started < 1.5  # answered before the mail server did
    (message,) = mailbox.to("alice@example.com")  # sent after the answer, on its own
    assert "/login/action/reset-password?key=" in message.get_content()
    assert not OutgoingMail.objects.exists()


def test_the_waiting_message_is_sealed(client, realm, mailbox):  # noqa: F811
    make_user(realm, "alice", email="alice@example.com")
    forgot(client, realm, "alice@example.com")
    (queued,) = OutgoingMail.objects.all()
    # A compact JWE: five parts, and neither the name asked for nor a link in sight.
    assert queued.message_sealed.count(".") == 4 and "alice" not in queued.message_sealed
    assert len(mailbox.messages) == 1


def test_a_message_held_by_a_sender_that_stopped_goes_once_its_lease_ends(client, realm, mailbox):  # noqa: F811
    make_user(realm, "alice", email="alice@example.com")
    forgot(client, realm, "alice")
    # Leased, as a sender that stopped mid-way would have left it.
    OutgoingMail.objects.update(next_attempt=timezone.now() + mail.LEASE)
    assert mail.deliver_due() == 0 and not mailbox.received
    with time_machine.travel(timezone.now() + mail.LEASE + timedelta(seconds=1)):
        assert mail.deliver_due() == 1
    assert len(mailbox.received) == 1


def test_a_message_that_cannot_be_sent_is_retried_then_given_up(client, mailbox):  # noqa: F811
    realm = make_realm(
        "acme",
        reset_password_allowed=True,
        smtp_server={"host": "127.0.0.1", "port": str(_free_port())},  # nobody listens
    )
    make_user(realm, "alice", email="alice@example.com")
    forgot(client, realm, "alice")
    assert mail.deliver_due() == 0
    queued = OutgoingMail.objects.get()
    assert queued.attempts == 1 and queued.last_error == "ConnectionRefusedError"
    assert queued.next_attempt > timezone.now() + timedelta(seconds=20)
    assert mail.deliver_due() == 0 and OutgoingMail.objects.get().attempts == 1  # not yet due
    for _ in range(mail.MAX_ATTEMPTS - 1):
        OutgoingMail.objects.update(next_attempt=timezone.now())
        mail.deliver_due()
    given_up = OutgoingMail.objects.get()
    assert given_up.attempts == mail.MAX_ATTEMPTS and given_up.given_up is not None
    assert given_up.message_sealed == ""
    OutgoingMail.objects.update(next_attempt=timezone.now())
    assert mail.deliver_due() == 0
    # Back up: the command sends what is due.
    realm.smtp_server = mailbox.smtp_server
    realm.save()
    forgot(client, realm, "alice")
    out = io.StringIO()
    call_command("deliver_mail", "--once", stdout=out)
    assert out.getvalue().strip() == "1 message(s) sent"
    assert len(mailbox.received) == 1


def test_a_message_is_sent_once(client, realm, mailbox):  # noqa: F811
    make_user(realm, "alice", email="alice@example.com")
    forgot(client, realm, "alice")
    pk = OutgoingMail.objects.get().pk
    assert mail.deliver(pk) is True
    assert mail.deliver(pk) is False
    assert len(mailbox.received) == 1
