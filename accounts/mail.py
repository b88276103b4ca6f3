"""Mail to a realm's users, through the realm's ``smtpServer`` (Keycloak's fields) or, for a
realm without one, the installation's EMAIL_BACKEND (the console, unless configured).

Nothing is sent while a request is answered: ``send`` writes the message to the outbox
(``OutgoingMail``, sealed) in the request's transaction, and it is sent once that transaction
commits, on a thread of its own. An answer therefore takes the same time whether it mailed
anything or not (a forgotten password asked for an unknown account answers as fast as for a
known one), and a slow or unreachable SMTP server holds up no one. A message that could not be
sent is retried with backoff by ``manage.py deliver_mail``, which also sends what a process did
not get to before it stopped; after ``MAX_ATTEMPTS`` it is given up on (its text dropped).
"""

import json
import logging
import smtplib
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import sanitize_address
from django.db import OperationalError, close_old_connections, transaction
from django.utils import timezone
from jwcrypto.jwe import InvalidJWEData

from accounts import backoff, sealed
from accounts.models import OutgoingMail, Realm

log = logging.getLogger(__name__)

_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
MAX_ATTEMPTS = 8
FIRST_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
# How long a sender holds a message before another may try it: the SMTP timeout, several times.
LEASE = timedelta(seconds=60)
_THREAD_TRIES = 3


def _true(value) -> bool:
    return str(value).lower() == "true"


def connection(realm: Realm):
    smtp = realm.smtp_server or {}
    if not smtp.get("host"):
        return get_connection()
    auth = _true(smtp.get("auth"))
    return get_connection(
        _SMTP_BACKEND,
        host=smtp["host"],
        port=int(smtp.get("port") or 25),
        username=smtp.get("user", "") if auth else "",
        password=sealed.unseal(realm.smtp_password_sealed)
        if auth and realm.smtp_password_sealed
        else "",
        use_tls=_true(smtp.get("starttls")),
        use_ssl=_true(smtp.get("ssl")),
        timeout=settings.EMAIL_TIMEOUT,
    )


def sender(realm: Realm) -> str:
    smtp = realm.smtp_server or {}
    address = smtp.get("from") or settings.DEFAULT_FROM_EMAIL
    name = smtp.get("fromDisplayName") or realm.title
    return sanitize_address((name, address), "utf-8")


def send(realm: Realm, to: str, subject: str, body: str) -> OutgoingMail:
    """Queue a message to ``to``; it leaves once the current transaction commits."""
    return _queue(realm, {"to": to, "subject": subject, "body": body})


def ask(realm: Realm, question: dict) -> OutgoingMail:
    """Queue a question whose answer, worked out by the sender, may be a message: a forgotten
    password's (accounts.links), so that the request does the same whoever it names."""
    return _queue(realm, {"question": question})


def _queue(realm: Realm, payload: dict) -> OutgoingMail:
    queued = OutgoingMail.objects.create(
        realm=realm, message_sealed=sealed.seal(json.dumps(payload)), next_attempt=timezone.now()
    )
    transaction.on_commit(lambda: _start(queued.pk))
    return queued


def _due(now):
    return OutgoingMail.objects.filter(given_up__isnull=True, next_attempt__lte=now)


def deliver_due(*, limit: int = 100) -> int:
    """Send up to ``limit`` messages that are due; the number sent."""
    ids = list(_due(timezone.now()).order_by("next_attempt").values_list("pk", flat=True)[:limit])
    return sum(deliver(pk) for pk in ids)


def deliver(pk: int) -> bool:
    """Send one message, if it is due and no other sender holds it. The lease is taken by one
    UPDATE, so two processes (or the thread and the command) never send it twice, and no
    transaction stays open while the SMTP server is talked to."""
    now = timezone.now()
    if _due(now).filter(pk=pk).update(next_attempt=now + LEASE) != 1:
        return False
    # Leased: from here on a busy database is waited for, not left to the lease's end.
    queued = _persistently(lambda: OutgoingMail.objects.select_related("realm").get(pk=pk))
    try:
        message = _persistently(lambda: _message(queued))
    except (ValueError, KeyError, TypeError, InvalidJWEData) as problem:
        message, error = None, type(problem).__name__
    else:
        error = None if message is None else _send(queued.realm, message)
    if error is None:
        # Sent: the row goes, even if the database is busy a moment (else the lease would end
        # and the message go twice).
        _persistently(queued.delete)
        return message is not None
    now = timezone.now()
    queued.attempts += 1
    queued.last_error = error[:255]
    if queued.attempts >= MAX_ATTEMPTS:
        queued.given_up = now
        queued.message_sealed = ""
    else:
        queued.next_attempt = backoff.next_attempt(
            now,
            queued.attempts,
            first_seconds=FIRST_BACKOFF_SECONDS,
            max_seconds=MAX_BACKOFF_SECONDS,
        )
    _persistently(queued.save)
    log.warning(
        "mail of realm %s not sent (attempt %d): %s",
        queued.realm.name,
        queued.attempts,
        queued.last_error,
    )
    return False


def _persistently(work):
    """``work()``, tried again while the database is busy (SQLite's lock), a few times."""
    for attempt in range(_THREAD_TRIES):
        try:
            return work()
        except OperationalError:
            if attempt == _THREAD_TRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _message(queued: OutgoingMail) -> dict | None:
    """The message to send: as queued, or a question's answer (None: nothing to send). An
    answer, once worked out, replaces the question, so that a retry sends the same message."""
    payload = json.loads(sealed.unseal(queued.message_sealed))
    question = payload.get("question")
    if question is None:
        return payload
    # Imported here: accounts.links queues its mail through this module.
    from accounts import links

    with transaction.atomic():
        answer = links.password_reset_message(queued.realm, question)
        if answer is None:
            return None
        queued.message_sealed = sealed.seal(json.dumps(answer))
        queued.save(update_fields=["message_sealed"])
    return answer


def _send(realm: Realm, message: dict) -> str | None:
    """None once the message is handed over, else why not (never the message itself)."""
    try:
        reply_to = (realm.smtp_server or {}).get("replyTo")
        EmailMessage(
            subject=f"{realm.title}: {message['subject']}",
            body=message["body"],
            from_email=sender(realm),
            to=[message["to"]],
            reply_to=[reply_to] if reply_to else None,
            connection=connection(realm),
        ).send()
    except (smtplib.SMTPException, OSError, ValueError) as error:
        return type(error).__name__
    return None


def _start(pk: int) -> None:
    def run():
        try:
            # The database busy (SQLite's lock) before the lease was taken: the row is
            # untouched, and taken again here (or by deliver_mail).
            _persistently(lambda: deliver(pk))
        except Exception:  # a thread's failure must not go unseen; deliver_mail retries
            log.exception("mail delivery failed")
        finally:
            close_old_connections()

    threading.Thread(target=run, name="mail", daemon=True).start()
