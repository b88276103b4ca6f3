"""A real SMTP server in the test process (aiosmtpd): what a realm sends through its
smtpServer arrives here, to be read and its links followed."""

import email
import re
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

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
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.smtp_server = {
        "host": "127.0.0.1",
        "port": str(controller.port),
        "from": "no-reply@acme.example",
        "fromDisplayName": "Acme",
    }
    yield box
    controller.stop()
