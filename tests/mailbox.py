"""A real SMTP server in the test process (aiosmtpd): what a realm sends through its
smtpServer arrives here, to be read and its links followed.

Realms mail through an outbox sent after the request's transaction commits (accounts.mail).
A test inside a transaction that never commits has the mailbox send what is due when it is
read, as ``manage.py deliver_mail`` would; against a live server, it waits until the outbox
is empty (each message sent, or given up on)."""

import asyncio
import email
import re
import socket
import threading
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.db import OperationalError

from accounts import mail
from accounts.models import OutgoingMail

# Longer than a test's slow SMTP server takes to answer.
WAIT_SECONDS = 15


class _Server:
    """aiosmtpd's handler: keeps what arrives."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        # Seconds the server waits before it accepts a message (a slow SMTP server).
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(message)
        return "250 OK"


class Mailbox:
    def __init__(self):
        self.server = _Server()

    @property
    def received(self) -> list:
        """What arrived so far, without sending the outbox."""
        with self.server.lock:
            return list(self.server.received)

    @property
    def messages(self) -> list:
        """What arrived once the outbox has been sent (each message tried once)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not self._sent():
            if time.monotonic() > deadline:
                raise AssertionError("the outbox was not sent")
            time.sleep(0.05)
        return self.received

    @staticmethod
    def _sent() -> bool:
        """Whether every message was tried once, sending what is due. The server's own
        sender may hold the database (SQLite's in-memory one locks whole tables): then ask
        again."""
        try:
            mail.deliver_due()
            return not OutgoingMail.objects.filter(given_up__isnull=True, attempts=0).exists()
        except OperationalError:
            return False

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]

    def link_in(self, message, path: str) -> str:
        body = message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"(https?://\S+" + re.escape(path) + r"\S*)", body)
        assert found, f"no {path} link in: {body}"
        return found.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box.server, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.smtp_server = {
        "host": "127.0.0.1",
        "port": str(controller.port),
        "from": "no-reply@acme.example",
        "fromDisplayName": "Acme",
    }
    yield box
    controller.stop()
