"""A small in-process cache with expiry, the default for what may be shared (introspection
results, service tokens). It has the ``get``/``set`` shape of Django's cache, so a service can
inject its Redis-backed cache instead and share entries between worker processes."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class TTLCache:
    def __init__(self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.time):
        self._entries: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: str, default=None):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            expires, value = entry
            if self._clock() >= expires:
                del self._entries[key]
                return default
            return value

    def get_many(self, keys) -> dict:
        """The entries of ``keys`` that are there, as Django's ``get_many`` answers."""
        missing = object()
        found = {key: self.get(key, missing) for key in keys}
        return {key: value for key, value in found.items() if value is not missing}

    def set(self, key: str, value, timeout: float) -> None:
        if timeout <= 0:
            return
        with self._lock:
            self._set(key, value, timeout)

    def add(self, key: str, value, timeout: float) -> bool:
        """Set ``key`` unless it is there: whether it was set (Django's ``add``, atomic)."""
        if timeout <= 0:
            return False
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() < entry[0]:
                return False
            self._set(key, value, timeout)
            return True

    def _set(self, key: str, value, timeout: float) -> None:
        self._entries[key] = (self._clock() + timeout, value)
        self._entries.move_to_end(key)
        # A flood of distinct keys (random tokens) must not grow the process without bound.
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
