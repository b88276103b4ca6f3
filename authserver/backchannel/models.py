"""Imported by ``authserver.models`` so that it migrates with the app."""

from django.db import models


class LogoutDelivery(models.Model):
    """One logout token to send to one client: the outbox row, kept until it is delivered or
    given up on. The token is signed when it is sent, so a retry carries a fresh one."""

    client = models.ForeignKey(
        "authserver.Client", on_delete=models.CASCADE, related_name="logout_deliveries"
    )
    # The ended session's id (the tokens' ``sid``) and its user's subject.
    sid = models.CharField(max_length=64)
    subject = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(db_index=True)
    delivered = models.DateTimeField(null=True, blank=True)
    given_up = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt"],
                condition=models.Q(delivered__isnull=True, given_up__isnull=True),
                name="logout_delivery_due",
            )
        ]

    def __str__(self):
        return f"Logout of {self.sid} for {self.client}"
