"""THE realm-scoping helper: every lookup of a realm-owned object goes through here."""

import copy
import time

from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404

from accounts.models import Realm

# How long a process serves a realm's row without reading it again. Every request under
# /realms/NAME/ needs it; a change saved in this process is seen at once (signals below), other
# processes see it within this window, as they see a key rotation (authserver/keys/store.py).
REALM_SECONDS = 5
_realms: dict[str, tuple[float, Realm]] = {}


def get_realm_or_404(name: str) -> Realm:
    """The enabled realm of that name; a disabled or unknown realm is indistinguishable: 404."""
    try:
        return Realm.objects.get(name=name, enabled=True)
    except Realm.DoesNotExist:
        raise Http404("No such realm") from None


def for_realm(model_or_queryset: type[Model] | QuerySet, realm: Realm) -> QuerySet:
    """The objects of ``model_or_queryset`` that belong to ``realm``."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    return queryset.filter(realm=realm)


class RealmMiddleware:
    """Sets ``request.realm`` for URLs under /realms/NAME/ (404 for a disabled realm)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = view_kwargs.pop("realm_name", None)
        if name is not None:
            request.realm = cached_realm_or_404(name)
        return None


def cached_realm_or_404(name: str) -> Realm:
    """get_realm_or_404, served from this process's copy for up to ``REALM_SECONDS``. Each
    caller gets its own copy of the instance, so nothing set on one request reaches another."""
    now = time.monotonic()
    cached = _realms.get(name)
    if cached is None or not 0 <= now - cached[0] < REALM_SECONDS:
        realm = get_realm_or_404(name)
        _realms[name] = (now, realm)
    else:
        realm = cached[1]
    return copy.copy(realm)


def clear_realm_cache() -> None:
    _realms.clear()


@receiver(post_save, sender=Realm, dispatch_uid="accounts.realms.saved")
@receiver(post_delete, sender=Realm, dispatch_uid="accounts.realms.deleted")
def _realm_changed(sender, instance, using, **kwargs):
    # At once for this thread, and again after the commit, so that no other thread of this
    # process keeps a row it read before the change was committed.
    clear_realm_cache()
    transaction.on_commit(clear_realm_cache, using=using)
