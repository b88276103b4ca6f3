"""What a process keeps of rows every request reads (realms, clients, roles, public documents).

A value is served for ``seconds`` after it was loaded, on the wall clock (a clock set back loads
it again, and tests move that clock with time-machine); other processes see a change within
that window. A change saved in this process is seen at once: ``forget_on_change`` drops
everything on the models' save and delete signals, now for this thread and again after the
commit, so that no other thread keeps what it read before the change was committed.
"""

import time
from collections.abc import Callable, Hashable

from django.db import transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_delete, post_save


class ProcessCache:
    def __init__(self, name: str, *, seconds: float, max_entries: int):
        self.name = name
        self.seconds = seconds
        # A flood of distinct keys must not grow it without bound: full, it starts again.
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, object]] = {}

    def get(self, key: Hashable, load: Callable[[], object]):
        """The value kept under ``key``, or ``load()``'s; a None from ``load`` is not kept."""
        now = time.time()
        entry = self._entries.get(key)
        if entry is None or not 0 <= now - entry[0] < self.seconds:
            value = load()
            if value is None:
                return None
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            entry = self._entries[key] = (now, value)
        return entry[1]

    def clear(self) -> None:
        self._entries.clear()

    def forget(self, using=None) -> None:
        """Drop everything now, and again once the current transaction commits."""
        self.clear()
        transaction.on_commit(self.clear, using=using)

    def forget_on_change(self, *models) -> None:
        def changed(sender, using=None, **kwargs):
            self.forget(using)

        for model in models:
            uid = f"{self.name}.{model._meta.label}"
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.saved")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.deleted")


def instance_copy(instance: Model) -> Model:
    """A copy of a kept model instance for one request, as ``copy.copy`` makes it: its own
    field values and related-object cache, the related objects themselves shared. copy.copy
    goes through pickling's ``__getstate__``, which looks at every field for a memoryview; that
    was a tenth of a client-credentials request."""
    twin = object.__new__(type(instance))
    twin.__dict__.update(instance.__dict__)
    state = object.__new__(ModelState)
    state.__dict__.update(instance._state.__dict__)
    state.__dict__.pop("related_managers_cache", None)
    if "fields_cache" in state.__dict__:
        state.fields_cache = dict(state.fields_cache)
    twin._state = state
    return twin
