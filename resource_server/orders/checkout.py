"""Placing an order and charging it at the payment service.

The customer's token is never forwarded: its audience is ``orders``, and the payment service
rightly refuses it. On the customer's behalf the order service exchanges it (RFC 8693) for a
token with audience ``payments``, ``sub`` the customer and ``act`` the order service; without a
customer (charge_pending) it uses its own client-credentials token.
"""

import logging
from dataclasses import dataclass

from resource_server import wiring
from resource_server.auth import Principal, TokenRequestFailed, http
from resource_server.orders.models import Order

log = logging.getLogger(__name__)


class PaymentFailed(Exception):
    """``unavailable``: try again later (network, 5xx, 429); else refused for good."""

    def __init__(self, reason: str, *, unavailable: bool):
        super().__init__(reason)
        self.unavailable = unavailable


@dataclass(frozen=True)
class Placed:
    order: Order
    payment: dict | None = None
    failure: PaymentFailed | None = None


def place_order(
    principal: Principal, *, item: str, quantity: int, amount_cents: int, currency: str
) -> Placed:
    """The order, saved as pending, then charged: paid, left pending when the payment service
    cannot be reached (charge_pending retries it), or failed when it refuses."""
    order = Order.objects.create(
        owner_sub=principal.sub,
        owner_username=principal.username or "",
        item=item,
        quantity=quantity,
        amount_cents=amount_cents,
        currency=currency,
    )
    try:
        payment = charge(order, subject_token=principal.token)
    except PaymentFailed as failure:
        log.warning("order %s not charged: %s", order.id, failure)
        if not failure.unavailable:
            order.status = Order.Status.FAILED
            order.save(update_fields=["status"])
        return Placed(order, failure=failure)
    _mark_paid(order, payment)
    return Placed(order, payment=payment)


def charge_pending(orders) -> tuple[int, int]:
    """Charge ``orders`` on the service's own authority (no customer present): (paid, failed)."""
    paid = failed = 0
    for order in orders:
        try:
            payment = charge(order, subject_token=None)
        except PaymentFailed as failure:
            log.warning("order %s still not charged: %s", order.id, failure)
            failed += 1
            continue
        _mark_paid(order, payment)
        paid += 1
    return paid, failed


def charge(order: Order, *, subject_token: str | None) -> dict:
    """POST the order to the payment service; its answer (the payment record)."""
    config = wiring.config()
    tokens = wiring.token_client()
    try:
        if subject_token is not None:
            token = tokens.exchange(subject_token, audience=config.payments_audience)
        else:
            token = tokens.client_credentials()
    except TokenRequestFailed as error:
        raise PaymentFailed(
            f"no token for payments: {error}", unavailable=error.unavailable
        ) from None
    try:
        answer = http.fetch(
            "POST",
            f"{config.payments_url}/api/payments",
            json_body={
                "reference": str(order.id),
                "amount_cents": order.amount_cents,
                "currency": order.currency,
            },
            headers={"Authorization": f"Bearer {token}"},
            context=wiring.payments_tls(),
        )
    except http.FetchError as error:
        raise PaymentFailed(str(error), unavailable=True) from None
    if answer.status in (200, 201):
        try:
            return answer.json()
        except ValueError:
            raise PaymentFailed(
                "payments answered with something not JSON", unavailable=True
            ) from None
    if answer.status == 401 and subject_token is None:
        # Our cached token was refused (its key purged, say): get a new one next time.
        tokens.forget()
    unavailable = (
        answer.status >= 500 or answer.status == 429 or (answer.status == 401 and not subject_token)
    )
    raise PaymentFailed(f"payments answered HTTP {answer.status}", unavailable=unavailable)


def _mark_paid(order: Order, payment: dict) -> None:
    order.status = Order.Status.PAID
    order.payment_id = str(payment.get("id", ""))[:64]
    order.save(update_fields=["status", "payment_id"])
    log.info(
        "order %s paid: payment %s, payer %s, actor %s",
        order.id,
        order.payment_id,
        payment.get("payer"),
        payment.get("actor"),
    )
