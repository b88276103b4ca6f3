"""The order API (audience ``orders``). Adapters: parse, check, call checkout, answer."""

from resource_server import payload, responses
from resource_server.authorization import owner_or_role, require_role, require_scope
from resource_server.orders import checkout
from resource_server.orders.models import Order
from resource_server.views import by_method

ADMIN = "admin"


def _owner_of(request, order_id) -> str | None:
    return Order.objects.filter(pk=order_id).values_list("owner_sub", flat=True).first()


@require_scope("orders:read")
def list_own(request):
    """GET /api/orders: the caller's own orders."""
    mine = Order.objects.filter(owner_sub=request.principal.sub)
    return responses.json({"orders": [order.as_json() for order in mine]})


@require_scope("orders:write")
def place(request):
    """POST /api/orders {"item", "amount_cents", "quantity"?, "currency"?}: 201 paid, 202 saved
    but not charged yet (the payment service is unreachable), 502 refused by payments."""
    try:
        data = payload.json_object(request)
        fields = {
            "item": payload.text(data, "item", max_length=200),
            "quantity": payload.integer(data, "quantity", minimum=1, maximum=1000, default=1),
            "amount_cents": payload.integer(data, "amount_cents", minimum=1, maximum=10_000_000),
            "currency": payload.currency(data),
        }
    except payload.BadPayload as error:
        return responses.error("invalid_request", str(error), status=400)
    placed = checkout.place_order(request.principal, **fields)
    body = {"order": placed.order.as_json(), "payment": placed.payment}
    location = f"/api/orders/{placed.order.id}"
    if placed.failure is None:
        return responses.json(body, status=201, Location=location)
    if placed.failure.unavailable:
        return responses.json(body, status=202, Location=location)
    return responses.json(
        {**body, "error": "payment_failed", "error_description": "the payment was refused"},
        status=502,
    )


@require_scope("orders:read")
@owner_or_role(_owner_of, role=ADMIN)
def show(request, order_id):
    """GET /api/orders/{id}: the owner's, or any for an admin."""
    return responses.json(Order.objects.get(pk=order_id).as_json())


@require_scope("orders:write")
@owner_or_role(_owner_of, role=ADMIN)
def delete(request, order_id):
    """DELETE /api/orders/{id}: the owner, or an admin."""
    Order.objects.filter(pk=order_id).delete()
    return responses.no_content()


@require_scope("orders:read")
@require_role(ADMIN)
def all_orders(request):
    """GET /api/admin/orders: everyone's orders (admins, from allowlisted addresses)."""
    return responses.json({"orders": [order.as_json() for order in Order.objects.all()]})


orders = by_method(GET=list_own, POST=place)
order = by_method(GET=show, DELETE=delete)
admin_orders = by_method(GET=all_orders)
