"""What a process keeps of rows every request reads (realms, clients, roles, public documents).

A value is served for ``seconds`` after it was loaded, on the wall clock (a clock set back loads
it again, and tests move that clock with time-machine). A change saved in this process is seen
at once: ``forget_on_change`` drops everything on the models' save and delete signals, now for
this thread and again after the commit, so that no other thread keeps what it read before the
change was committed.

Other processes hear of it through the shared cache (Redis): after the commit, the process that
saved the change writes a new value under ``GENERATION_KEY``, and every process reads that key
at most every ``POLL_SECONDS`` and drops all it keeps when the value moved, or went (a flushed
or restarted Redis may have taken an announcement with it). A disabled client
or user is so refused everywhere within about half a second. Without a shared cache (each
process then has its own), or with Redis unreachable, the ``seconds`` window still bounds what
another process serves.
"""

import functools
import threading
import time
import uuid
from collections.abc import Callable, Hashable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_delete, post_save

GENERATION_KEY = "process-cache:generation"
POLL_SECONDS = 0.5
# A read of the key that takes this long means Redis is not answering (the client's timeout):
# the next read waits BACKOFF_SECONDS, not POLL_SECONDS, so that requests do not queue on it.
SLOW_POLL_SECONDS = 0.1
BACKOFF_SECONDS = 10.0

# What a login writes (the time, a password re-hashed to today's parameters): no cache keeps
# either, and every login would otherwise empty every process's caches.
UNKEPT_FIELDS = frozenset({"last_login", "password"})

_all: list["ProcessCache"] = []


class ProcessCache:
    def __init__(self, name: str, *, seconds: float, max_entries: int):
        self.name = name
        self.seconds = seconds
        # A flood of distinct keys must not grow it without bound: full, it starts again.
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, object]] = {}
        _all.append(self)

    def get(self, key: Hashable, load: Callable[[], object]):
        """The value kept under ``key``, or ``load()``'s; a None from ``load`` is not kept."""
        now = time.time()
        _generation.check(now)
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
        """Drop everything now, and again once the current transaction commits; tell the other
        processes then."""
        self.clear()
        transaction.on_commit(self.clear, using=using)
        _generation.announce_after_commit(using)

    def forget_on_change(self, *models) -> None:
        def changed(sender, using=None, update_fields=None, **kwargs):
            if update_fields and UNKEPT_FIELDS.issuperset(update_fields):
                return
            self.forget(using)

        for model in models:
            uid = f"{self.name}.{model._meta.label}"
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.saved")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.deleted")


class _Generation:
    """This process's side of ``GENERATION_KEY``."""

    def __init__(self):
        self.seen = None
        self.next_check = 0.0
        # Per thread, as transactions are: which of its changes a commit has announced.
        self.local = threading.local()

    def check(self, now: float) -> None:
        if now < self.next_check and self.next_check - now <= BACKOFF_SECONDS:
            return
        started = time.monotonic()
        value = cache.get(GENERATION_KEY)
        slow = time.monotonic() - started > SLOW_POLL_SECONDS
        self.next_check = now + (BACKOFF_SECONDS if slow else POLL_SECONDS)
        # None is never announced: the key was flushed or evicted, or Redis is unreachable. An
        # announcement may have been lost with it, so a value gone counts as a change (once).
        if value != self.seen:
            self.seen = value
            for kept in _all:
                kept.clear()

    def announce_after_commit(self, using=None) -> None:
        # Every cache watching a saved model asks; one announcement per commit is enough.
        self.local.changes = getattr(self.local, "changes", 0) + 1
        announce = functools.partial(self._announce, self.local.changes)
        transaction.on_commit(announce, using=using, robust=True)

    def _announce(self, change: int) -> None:
        if change <= getattr(self.local, "announced", 0):
            return
        self.local.announced = self.local.changes
        # A value no process has seen: any write is a change, whoever else writes at once.
        self.seen = uuid.uuid4().hex
        cache.set(GENERATION_KEY, self.seen, timeout=None)


_generation = _Generation()


def clear_all() -> None:
    """Forget everything every cache of this process keeps, and the generation it last saw."""
    for kept in _all:
        kept.clear()
    _generation.seen = None
    _generation.next_check = 0.0


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
