"""django-oauth-toolkit's models, swapped in so that every client and token belongs to a realm.

The client carries Keycloak's client fields; token models are swapped now (not later) because
changing a swappable model after the first migration is painful.
"""

from django.conf import settings
from django.db import models
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)

from accounts.models import ClientScope, Realm


class Client(AbstractApplication):
    """An OAuth client of one realm; ``client_id`` is unique within its realm, as in Keycloak."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=255, db_index=True, verbose_name="client ID")
    enabled = models.BooleanField(default=True)
    standard_flow_enabled = models.BooleanField(
        default=True, help_text="Authorization-code flow (browser logins)."
    )
    service_accounts_enabled = models.BooleanField(
        default=False, help_text="Client-credentials grant with a service-account user."
    )
    consent_required = models.BooleanField(default=False)
    pkce_method = models.CharField(
        "PKCE method",
        max_length=10,
        blank=True,
        default="S256",
        help_text="S256 to require PKCE; empty to make it optional for confidential clients.",
    )
    default_client_scopes = models.ManyToManyField(
        ClientScope, blank=True, related_name="default_for_clients"
    )
    optional_client_scopes = models.ManyToManyField(
        ClientScope, blank=True, related_name="optional_for_clients"
    )
    service_account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_account_client",
    )
    attributes = models.JSONField(
        default=dict, blank=True, help_text="Other Keycloak client attributes, kept as given."
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["realm", "client_id"], name="unique_client_id_per_realm"
            )
        ]
        ordering = ["realm", "client_id"]

    def __str__(self):
        return self.client_id

    @property
    def is_public(self) -> bool:
        return self.client_type == self.CLIENT_PUBLIC


class Grant(AbstractGrant):
    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"


class AccessToken(AbstractAccessToken):
    class Meta(AbstractAccessToken.Meta):
        swappable = "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"


class RefreshToken(AbstractRefreshToken):
    class Meta(AbstractRefreshToken.Meta):
        swappable = "OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL"


class IDToken(AbstractIDToken):
    class Meta(AbstractIDToken.Meta):
        swappable = "OAUTH2_PROVIDER_ID_TOKEN_MODEL"
