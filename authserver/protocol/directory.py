"""This process's copy of what every token request reads about a client: its row (with realm
and service account), its scopes, and users' effective roles.

Served for up to ``DIRECTORY_SECONDS``, like the realm (accounts/realms.py) and the key ring
(authserver/keys/store.py): a change saved in this process is seen at once (the signals below),
other processes see it within the window. Each caller gets its own copy of a client, so nothing
set on one request reaches another.
"""

import copy
import time

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import ClientScope, Group, Realm, Role, User
from authserver.models import Client
from authserver.protocol import claims, scopes

DIRECTORY_SECONDS = 5
# A flood of distinct names must not grow the cache without bound.
MAX_ENTRIES = 10_000

_clients: dict[tuple[int, str], tuple[float, Client]] = {}
_roles: dict[int, tuple[float, list]] = {}


def _fresh(entry, now: float) -> bool:
    return entry is not None and 0 <= now - entry[0] < DIRECTORY_SECONDS


def client(realm: Realm, client_id: str) -> Client | None:
    """The enabled client ``client_id`` of ``realm``, its scopes already read; None if none."""
    now = time.monotonic()
    entry = _clients.get((realm.pk, client_id))
    if not _fresh(entry, now):
        found = (
            Client.objects.select_related("realm", "service_account")
            .filter(realm=realm, client_id=client_id, enabled=True)
            .first()
        )
        if found is None:
            return None
        scopes.client_scopes(found)
        if len(_clients) >= MAX_ENTRIES:
            _clients.clear()
        entry = _clients[(realm.pk, client_id)] = (now, found)
    return copy.copy(entry[1])


def effective_roles(user: User) -> list[Role]:
    """claims.effective_roles, served from this process's copy."""
    now = time.monotonic()
    entry = _roles.get(user.pk)
    if not _fresh(entry, now):
        if len(_roles) >= MAX_ENTRIES:
            _roles.clear()
        entry = _roles[user.pk] = (now, claims.effective_roles(user))
    return entry[1]


def clear() -> None:
    _clients.clear()
    _roles.clear()


_WATCHED = (Client, ClientScope, Role, Group, User, Realm)


def changed(using=None) -> None:
    """Forget what this process holds, at once for this thread and again after the commit, so
    that no other thread keeps what it read before the change was committed. Signals call it
    for saves; call it after a ``QuerySet.update()`` of a client or a user."""
    clear()
    transaction.on_commit(clear, using=using)


def _changed(sender, using=None, **kwargs):
    changed(using)


for _model in _WATCHED:
    post_save.connect(_changed, sender=_model, dispatch_uid=f"directory.saved.{_model.__name__}")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"directory.deleted.{_model.__name__}"
    )


@receiver(m2m_changed, dispatch_uid="directory.m2m")
def _relation_changed(sender, instance, action, using=None, **kwargs):
    if action.startswith("post_") and isinstance(instance, _WATCHED):
        _changed(sender, using=using)
