"""The payment API (audience ``payments``). Adapters: parse, check, call the ledger, answer."""

from django.db.models import Q

from resource_server import payload, responses
from resource_server.authorization import require_scope
from resource_server.payments import ledger
from resource_server.payments.models import Payment
from resource_server.views import by_method

ADMIN = "admin"


@require_scope("payments:write")
def pay(request):
    """POST /api/payments {"reference", "amount_cents", "currency"?}: 201 recorded, 200 when
    the reference was already paid (a retry), 409 when it was paid with another amount."""
    try:
        data = payload.json_object(request)
        reference = payload.text(data, "reference", max_length=100)
        amount_cents = payload.integer(data, "amount_cents", minimum=1, maximum=10_000_000)
        currency = payload.currency(data)
    except payload.BadPayload as error:
        return responses.error("invalid_request", str(error), status=400)
    try:
        payment, created = ledger.record(
            request.principal, reference=reference, amount_cents=amount_cents, currency=currency
        )
    except ledger.ReferenceConflict:
        return responses.error(
            "conflict", "this reference was paid with another amount", status=409
        )
    return responses.json(payment.as_json(), status=201 if created else 200)


def history(request):
    """GET /api/payments[?reference=]: every payment for an admin; else those the caller took
    part in, as payer or as the acting service (any valid token for this service)."""
    principal = request.principal
    found = Payment.objects.all()
    if not principal.has_role(ADMIN):
        found = found.filter(Q(payer_sub=principal.sub) | Q(actor=principal.sub))
    reference = request.GET.get("reference")
    if reference:
        found = found.filter(reference=reference)
    return responses.json({"payments": [payment.as_json() for payment in found[:500]]})


payments = by_method(GET=history, POST=pay)
