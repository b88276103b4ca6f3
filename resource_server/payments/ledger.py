"""Recording a payment: who paid (the token's subject) and who acted (its act party or client)."""

import logging

from django.db import IntegrityError, transaction

from resource_server.auth import Principal
from resource_server.payments.models import Payment

log = logging.getLogger(__name__)


class ReferenceConflict(Exception):
    """The client already used this reference for a different payment."""


def record(
    principal: Principal, *, reference: str, amount_cents: int, currency: str
) -> tuple[Payment, bool]:
    """(payment, created). A client repeating a reference gets its first payment back, so a
    retried charge never charges twice; the same reference with another amount is a conflict."""
    fields = {
        "amount_cents": amount_cents,
        "currency": currency,
        "payer_sub": principal.sub,
        "payer_username": principal.username or "",
        "actor": principal.actor or "",
        "actor_client": principal.actor_client or "",
    }
    try:
        with transaction.atomic():
            payment, created = Payment.objects.get_or_create(
                actor_client=fields["actor_client"], reference=reference, defaults=fields
            )
    except IntegrityError:
        # Two attempts at once: the other one won.
        payment, created = (
            Payment.objects.get(actor_client=fields["actor_client"], reference=reference),
            False,
        )
    if not created and (payment.amount_cents, payment.currency) != (amount_cents, currency):
        raise ReferenceConflict(reference)
    if created:
        log.info(
            "payment %s recorded: %s %s, payer %s (%s), actor %s (client %s), reference %s",
            payment.id,
            payment.amount_cents,
            payment.currency,
            payment.payer_sub,
            payment.payer_username or "-",
            payment.actor,
            payment.actor_client,
            payment.reference,
        )
    return payment, created
