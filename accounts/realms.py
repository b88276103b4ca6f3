"""THE realm-scoping helper: every lookup of a realm-owned object goes through here."""

from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import Realm
from accounts.process_cache import ProcessCache, instance_copy
from accounts.storable import storable

# Every request under /realms/NAME/ needs the realm's row: a process reads it once per 5 s
# (accounts/process_cache.py), as it reads its key ring (authserver/keys/store.py).
_realms = ProcessCache("realms", seconds=5, max_entries=10_000)
_realms.forget_on_change(Realm)


def get_realm_or_404(name: str) -> Realm:
    """The enabled realm of that name; a disabled or unknown realm is indistinguishable: 404."""
    if not storable(name):
        raise Http404("No such realm")
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
    """get_realm_or_404, served from this process's copy for a few seconds. Each caller gets
    its own copy of the instance, so nothing set on one request reaches another."""
    return instance_copy(_realms.get(name, lambda: get_realm_or_404(name)))
