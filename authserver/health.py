"""Readiness probes of what the server depends on: plain values out, no HTTP.

A probe answers within ``PROBE_SECONDS`` whatever the dependency does: a database that accepts
connections and then never answers would otherwise hold the probe (and the worker serving it)
until the connect timeout, and an orchestrator's readiness check would time out instead of
reading "down".
"""

import threading
import time

from django.conf import settings
from django.db import connections

PROBE_SECONDS = 1.5


class _DatabaseProbe:
    """``SELECT 1`` on a connection of its own, in a thread of its own (Django's connections
    are per thread): it connects afresh, as a new worker would, and a hung attempt never holds
    a request's connection or thread."""

    def __init__(self):
        self.done = threading.Event()
        self.answered = False

    def run(self) -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
                self.answered = cursor.fetchone() == (1,)
        except Exception:  # noqa: S110 - any failure is "down", which the caller reports
            pass
        finally:
            connections.close_all()
            _probe_finished()
            self.done.set()

    def answers_within(self, timeout: float) -> bool:
        return self.done.wait(timeout) and self.answered


# At most one database probe runs in each process: a readiness check made while one is under
# way (another thread's, or one still waiting on a hung database) waits for that one's answer.
_probe_lock = threading.Lock()
_probe_under_way: _DatabaseProbe | None = None


def _database_probe() -> _DatabaseProbe:
    global _probe_under_way
    with _probe_lock:
        if _probe_under_way is None:
            _probe_under_way = _DatabaseProbe()
            threading.Thread(
                target=_probe_under_way.run, name="readiness-database", daemon=True
            ).start()
        return _probe_under_way


def _probe_finished() -> None:
    global _probe_under_way
    with _probe_lock:
        _probe_under_way = None


def redis_answers() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            return client.ping() is True
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def problems() -> dict[str, str]:
    """What is down, by name; empty when everything needed answers. The database is probed
    while Redis is, so that the answer takes the longer of the two, not their sum."""
    deadline = time.monotonic() + PROBE_SECONDS
    database = _database_probe()
    down = {}
    if settings.REDIS_URL and not redis_answers():
        down["redis"] = "down"
    if not database.answers_within(max(0.0, deadline - time.monotonic())):
        down = {"database": "down", **down}
    return down
