"""A realm's signing keys. Imported by ``authserver.models`` so that it migrates with the app."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Realm


class SigningKey(models.Model):
    """One key of a realm's ring; its private half is stored only as a compact JWE.

    A key is *published* (in the JWKS, not signing yet), then *active* (the realm signs with
    it), then *retired* (in the JWKS until ``retire_after``, when every token it signed has
    expired), then deleted.
    """

    class State(models.TextChoices):
        PUBLISHED = "published"
        ACTIVE = "active"
        RETIRED = "retired"

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="signing_keys")
    kid = models.CharField(
        "key ID", max_length=64, unique=True, help_text="RFC 7638 JWK thumbprint (SHA-256)."
    )
    alg = models.CharField("algorithm", max_length=10, choices=Realm.SignatureAlgorithm.choices)
    public_jwk = models.JSONField("public JWK")
    private_jwk_encrypted = models.TextField(
        "private JWK (encrypted)", help_text="Compact JWE under AUTHSERVER_KEY_ENCRYPTION_KEY."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PUBLISHED)
    created = models.DateTimeField(default=timezone.now)
    activated = models.DateTimeField(null=True, blank=True)
    retire_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = [
            models.Case(
                models.When(state="active", then=models.Value(0)), default=models.Value(1)
            ).asc(),
            "-created",
            "-id",
        ]
        indexes = [models.Index(fields=["realm", "state"], name="signingkey_realm_state")]
        constraints = [
            # The first active key signs: two at once would mean two workers disagree.
            models.UniqueConstraint(
                fields=["realm"], condition=Q(state="active"), name="one_active_key_per_realm"
            )
        ]

    def __str__(self):
        return f"{self.kid} ({self.alg}, {self.state})"
