"""Imported by ``authserver.models`` so that it migrates with the app."""

from django.conf import settings
from django.db import models


class DeviceAuthorization(models.Model):
    """One device authorization request (RFC 8628 §3.2): its device code and user code, kept
    as their SHA-256 only, and where the user's decision stands."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DENIED = "denied"

    client = models.ForeignKey(
        "authserver.Client", on_delete=models.CASCADE, related_name="device_authorizations"
    )
    device_code_hash = models.CharField(max_length=64, unique=True)
    user_code_hash = models.CharField(max_length=64, unique=True)
    scope = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(db_index=True)
    # §3.5: the least seconds between two polls; raised by 5 at each slow_down.
    interval = models.PositiveIntegerField(default=5)
    last_poll = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "accounts.UserSession", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    def __str__(self):
        return f"Device authorization of {self.client} ({self.status})"
