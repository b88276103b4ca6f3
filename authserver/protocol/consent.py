"""What a user has allowed a client (Keycloak's "consent required" clients, OIDC Core §3.1.2.4).

A stored consent covers a request when it includes every scope asked for; ``openid`` only says
the request is an OpenID one and needs no consent of its own. Allowing more extends the stored
consent; revoking it also revokes what the client holds on the strength of it.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import ClientScope, Realm, User
from accounts.realms import for_realm
from authserver.models import AccessToken, Client, Consent, RefreshToken

_NOT_CONSENTED = {"openid"}


def _asked(scopes) -> set[str]:
    return set(scopes) - _NOT_CONSENTED


def is_needed(client: Client, user: User, scopes, *, prompt=frozenset()) -> bool:
    """True when the user must be asked: always for ``prompt=consent``; else when the client
    requires consent and no stored consent covers ``scopes``."""
    if "consent" in prompt:
        return True
    if not client.consent_required:
        return False
    stored = Consent.objects.filter(user=user, client=client).first()
    return stored is None or not _asked(scopes) <= stored.scope_set


def record(client: Client, user: User, scopes) -> Consent:
    """Store (or extend) the user's consent to ``scopes`` for ``client``."""
    with transaction.atomic():
        stored, _ = Consent.objects.select_for_update().get_or_create(
            user=user, client=client, defaults={"scopes": ""}
        )
        stored.scopes = " ".join(sorted(stored.scope_set | _asked(scopes)))
        stored.save(update_fields=["scopes", "updated"])
    return stored


def describe(realm: Realm, scopes) -> list[tuple[str, str]]:
    """(name, description) of each scope to show on the consent page, in name order."""
    asked = sorted(_asked(scopes))
    described = dict(
        for_realm(ClientScope, realm).filter(name__in=asked).values_list("name", "description")
    )
    return [(name, described.get(name) or ClientScope.BUILT_IN.get(name) or name) for name in asked]


def granted_by(user: User):
    """The user's stored consents, with their clients (all in the user's realm)."""
    return (
        Consent.objects.filter(user=user, client__realm=user.realm)
        .select_related("client")
        .order_by("client__client_id")
    )


def revoke(user: User, client_id: str) -> bool:
    """Withdraw the user's consent to ``client_id`` and revoke the client's tokens for the user,
    offline ones included (Keycloak's "revoke grant"). False when there was none."""
    client = for_realm(Client, user.realm).filter(client_id=client_id).first()
    if client is None:
        return False
    with transaction.atomic():
        deleted, _ = Consent.objects.filter(user=user, client=client).delete()
        RefreshToken.objects.filter(user=user, application=client, revoked__isnull=True).update(
            revoked=timezone.now()
        )
        AccessToken.objects.filter(user=user, application=client).delete()
    return bool(deleted)
