"""What dynamic registration keeps. Imported by ``authserver.models`` so that it migrates with
the app. Every token is kept as its SHA-256 only."""

from django.db import models

from accounts.models import Realm

# Keycloak's default "Max Clients Limit" policy.
DEFAULT_MAX_CLIENTS = 200


class RegistrationPolicy(models.Model):
    """A realm's rules for dynamic registration; off until an administrator turns it on."""

    realm = models.OneToOneField(
        Realm, on_delete=models.CASCADE, related_name="registration_policy"
    )
    enabled = models.BooleanField(
        default=False,
        help_text="Let the bearer of an initial access token register clients (RFC 7591).",
    )
    trusted_hosts = models.TextField(
        blank=True,
        help_text="Space-separated host names (*.example.com for subdomains) every redirect "
        "URI must be at; empty allows any host.",
    )
    allowed_scopes = models.TextField(
        blank=True,
        help_text="Space-separated client scopes a registered client may ask for; empty "
        "allows every client scope of the realm.",
    )
    max_clients = models.PositiveIntegerField(
        default=DEFAULT_MAX_CLIENTS,
        help_text="How many dynamically registered clients the realm may hold.",
    )

    def __str__(self):
        return f"Client registration in {self.realm}"


class InitialAccessToken(models.Model):
    """Keycloak's initial access token (RFC 7591 §3): its bearer may register ``remaining``
    more clients until ``expires`` (never, if empty)."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="initial_access_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(default=1)
    remaining = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["realm", "-created"]

    def __str__(self):
        return f"Initial access token {self.pk} of {self.realm}"


class ClientRegistration(models.Model):
    """A client registered dynamically, and its current registration access token (RFC 7592
    §1), replaced at every use as Keycloak does."""

    client = models.OneToOneField(
        "authserver.Client", on_delete=models.CASCADE, related_name="registration"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    # The client's metadata as registered (RFC 7591 §2), without secrets: what the client has
    # no field for (its authentication method's name, logo_uri, contacts, ...) is read back
    # from here.
    metadata = models.JSONField(default=dict)

    def __str__(self):
        return f"Registration of {self.client}"
