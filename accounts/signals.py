from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from accounts.models import ClientScope, Realm

# Sent with ``session`` when an SSO session ends (logout, admin revocation). The provider
# listens to revoke what the session issued; accounts itself knows nothing of tokens.
session_ended = Signal()


@receiver(post_save, sender=Realm)
def create_built_in_scopes(sender, instance, created, raw=False, **kwargs):
    """openid, profile, email, roles and offline_access exist in every realm."""
    if not created or raw:
        return
    for name, description in ClientScope.BUILT_IN.items():
        ClientScope.objects.get_or_create(
            realm=instance, name=name, defaults={"description": description}
        )
