from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from accounts.models import ClientScope, Realm, User

# Sent with ``session`` when an SSO session ends (logout, admin revocation), and ``expired``
# (True when it ended by its idle timeout or maximum lifetime, noticed by sessions.end_expired).
# The provider listens to revoke what the session issued and tell its clients; accounts itself
# knows nothing of tokens.
session_ended = Signal()


def default_roles_name(realm_name: str) -> str:
    """The name Keycloak gives a realm's default role."""
    return f"default-roles-{realm_name}"


@receiver(post_save, sender=User, dispatch_uid="accounts.grant_default_roles")
def grant_default_roles(sender, instance, created, raw=False, **kwargs):
    """A new user gets the realm's default role when it has one, as in Keycloak. Whoever
    creates the user does so under the grant rule, which counts what the role contains; a
    realm-file import then sets the mappings its file gives."""
    if not created or raw or instance.realm_id is None:
        return
    role_id = Realm.objects.filter(pk=instance.realm_id).values_list("default_role", flat=True)
    role_id = role_id.first()
    if role_id is not None:
        instance.roles.add(role_id)


@receiver(post_save, sender=Realm)
def create_built_in_scopes(sender, instance, created, raw=False, **kwargs):
    """openid, profile, email, roles and offline_access exist in every realm."""
    if not created or raw:
        return
    for name, description in ClientScope.BUILT_IN.items():
        ClientScope.objects.get_or_create(
            realm=instance, name=name, defaults={"description": description}
        )
