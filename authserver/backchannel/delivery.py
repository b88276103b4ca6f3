"""Sending what the outbox holds: each logout token POSTed to its client's back-channel logout
URI (§2.5, ``application/x-www-form-urlencoded``, ``logout_token``), 200 or 204 meaning done.
Anything else is retried with exponential backoff, then given up on after ``MAX_ATTEMPTS``.

Deliveries are made after the logout's transaction commits, on a thread of their own, so the
user's logout never waits on a client; ``manage.py deliver_logouts`` sends what is still due
(retries, and what a process did not get to before it stopped)."""

import logging
import threading
from datetime import timedelta

import requests
from django.db import close_old_connections, transaction
from django.utils import timezone

from accounts import backoff
from authserver.backchannel import outbox
from authserver.backchannel.models import LogoutDelivery

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 8
FIRST_BACKOFF_SECONDS = 10
MAX_BACKOFF_SECONDS = 3600
# How long a process that took a delivery has to send it before another may.
CLAIM_SECONDS = TIMEOUT_SECONDS * 6


def due(now=None):
    now = now or timezone.now()
    return LogoutDelivery.objects.filter(
        delivered__isnull=True, given_up__isnull=True, next_attempt__lte=now
    )


def deliver_due(*, limit: int = 100) -> int:
    """Send up to ``limit`` due deliveries; the number delivered."""
    ids = list(due().order_by("next_attempt").values_list("pk", flat=True)[:limit])
    return sum(deliver(pk) for pk in ids)


def deliver(pk: int) -> bool:
    """Send one delivery, if it is still due and no other process is sending it.

    The delivery is claimed first by one conditional update: its next attempt is moved past
    the time a send may take, so that no other process finds it due meanwhile (of two that try,
    one updates it), and no database transaction stays open while the client is waited on. A
    process that stops while sending leaves it to be sent again once that time has passed."""
    claim = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
    if not due().filter(pk=pk).update(next_attempt=claim):
        return False
    delivery = LogoutDelivery.objects.select_related("client__realm").get(pk=pk)
    error = _post(delivery)
    now = timezone.now()
    delivery.attempts += 1
    if error is None:
        delivery.delivered = now
    else:
        delivery.last_error = error[:255]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.given_up = now
        else:
            delivery.next_attempt = backoff.next_attempt(
                now,
                delivery.attempts,
                first_seconds=FIRST_BACKOFF_SECONDS,
                max_seconds=MAX_BACKOFF_SECONDS,
            )
        log.warning(
            "back-channel logout to %s failed (attempt %d): %s",
            delivery.client.client_id,
            delivery.attempts,
            delivery.last_error,
        )
    delivery.save(update_fields=["attempts", "delivered", "given_up", "next_attempt", "last_error"])
    return error is None


def _post(delivery: LogoutDelivery) -> str | None:
    """None when the client acknowledged the logout, else why not."""
    url = outbox.logout_url(delivery.client)
    if not url:
        return "the client has no back-channel logout URI any more"
    try:
        response = requests.post(
            url,
            data={"logout_token": outbox.logout_token(delivery)},
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return f"{type(exc).__name__}"
    if response.status_code in (200, 204):
        return None
    return f"answered {response.status_code}"


def soon(deliveries: list[LogoutDelivery]) -> None:
    """Send these once the current transaction commits, off the request's thread."""
    ids = [delivery.pk for delivery in deliveries]
    if ids:
        transaction.on_commit(lambda: _start(ids))


def _start(ids: list[int]) -> None:
    def run():
        try:
            for pk in ids:
                deliver(pk)
        except Exception:  # a thread's failure must not go unseen; the command retries
            log.exception("back-channel logout delivery failed")
        finally:
            close_old_connections()

    threading.Thread(target=run, name="backchannel-logout", daemon=True).start()
