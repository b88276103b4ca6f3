from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import ClientScope, Realm


@receiver(post_save, sender=Realm)
def create_built_in_scopes(sender, instance, created, raw=False, **kwargs):
    """openid, profile, email, roles and offline_access exist in every realm."""
    if not created or raw:
        return
    for name, description in ClientScope.BUILT_IN.items():
        ClientScope.objects.get_or_create(
            realm=instance, name=name, defaults={"description": description}
        )
