"""This process's copy of what every token request reads about a client: its row (with realm
and service account), its scopes, and users' effective roles.

Served for a few seconds (accounts/process_cache.py), like the realm (accounts/realms.py) and
the key ring (authserver/keys/store.py): a change saved in this process is seen at once, other
processes see it within the window. Each caller gets its own copy of a client, so nothing
set on one request reaches another.
"""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from accounts.models import ClientScope, Group, Realm, Role, User
from accounts.process_cache import ProcessCache, instance_copy
from accounts.storable import storable
from authserver.models import Client
from authserver.protocol import claims, scopes

_WATCHED = (Client, ClientScope, Role, Group, User, Realm)
_clients = ProcessCache("directory.clients", seconds=5, max_entries=10_000)
_roles = ProcessCache("directory.roles", seconds=5, max_entries=10_000)
for _cache in (_clients, _roles):
    _cache.forget_on_change(*_WATCHED)


def client(realm: Realm, client_id: str) -> Client | None:
    """The enabled client ``client_id`` of ``realm``, its scopes already read; None if none."""
    if not storable(client_id):
        return None

    def load() -> Client | None:
        found = (
            Client.objects.select_related("realm", "service_account")
            .filter(realm=realm, client_id=client_id, enabled=True)
            .first()
        )
        if found is not None:
            scopes.client_scopes(found)
        return found

    found = _clients.get((realm.pk, client_id), load)
    return None if found is None else instance_copy(found)


def effective_roles(user: User) -> list[Role]:
    """claims.effective_roles, served from this process's copy."""
    return _roles.get(user.pk, lambda: claims.effective_roles(user))


def changed(using=None) -> None:
    """Forget what this process holds, now and after the commit (as a saved change does); call
    it after a ``QuerySet.update()`` of a client or a user."""
    _clients.forget(using)
    _roles.forget(using)


@receiver(m2m_changed, dispatch_uid="directory.m2m")
def _relation_changed(sender, instance, action, using=None, **kwargs):
    if action.startswith("post_") and isinstance(instance, _WATCHED):
        changed(using)
