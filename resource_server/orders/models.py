import uuid

from django.db import models
from django.utils import timezone


class Order(models.Model):
    class Status(models.TextChoices):
        # Saved, not charged yet: the payment service could not be reached (charge_pending
        # retries it), or the charge is in flight.
        PENDING = "pending"
        PAID = "paid"
        # The payment service or the token exchange refused: nothing was charged.
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The customer: the token's sub (stable) and preferred_username (for people).
    owner_sub = models.CharField(max_length=255, db_index=True)
    owner_username = models.CharField(max_length=255, blank=True)
    item = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    payment_id = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "id"]

    def __str__(self):
        return f"order {self.id} of {self.owner_username or self.owner_sub}"

    def as_json(self) -> dict:
        return {
            "id": str(self.id),
            "owner": self.owner_sub,
            "owner_username": self.owner_username,
            "item": self.item,
            "quantity": self.quantity,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "status": self.status,
            "payment_id": self.payment_id or None,
            "created": self.created.isoformat(),
        }
