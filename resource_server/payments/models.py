import uuid

from django.db import models
from django.utils import timezone


class Payment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The caller's reference (the order id): a retried charge finds the first one.
    reference = models.CharField(max_length=100)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # Who paid: the token's sub (the end user of an exchanged token).
    payer_sub = models.CharField(max_length=255, db_index=True)
    payer_username = models.CharField(max_length=255, blank=True)
    # Which service acted: act.sub of a delegated token (RFC 8693 §4.1), else the client.
    actor = models.CharField(max_length=255)
    actor_client = models.CharField(max_length=255)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["actor_client", "reference"], name="one_payment_per_client_reference"
            )
        ]

    def __str__(self):
        return f"payment {self.id} by {self.payer_username or self.payer_sub}"

    def as_json(self) -> dict:
        return {
            "id": str(self.id),
            "reference": self.reference,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "payer": self.payer_sub,
            "payer_username": self.payer_username,
            "actor": self.actor,
            "actor_client": self.actor_client,
            "created": self.created.isoformat(),
        }
