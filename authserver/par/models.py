"""Imported by ``authserver.models`` so that it migrates with the app."""

from django.db import models


class PushedRequest(models.Model):
    """An authorization request a client pushed (RFC 9126 §2), kept until its request URI is
    used or expires. The URI is kept as its SHA-256 only."""

    client = models.ForeignKey(
        "authserver.Client", on_delete=models.CASCADE, related_name="pushed_requests"
    )
    uri_hash = models.CharField(max_length=64, unique=True)
    params = models.JSONField()
    expires = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Pushed request of {self.client}"
