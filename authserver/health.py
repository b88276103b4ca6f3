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

# At most one database probe runs in each process: while one is still waiting on a hung
# database, the next readiness check reads "down" at once instead of starting another.
_probe_lock = threading.Lock()


def _start_database_probe():
    """Start the probe; what it returns waits for it, up to a number of seconds."""
    if not _probe_lock.acquire(blocking=False):
        return lambda timeout: False
    answered = threading.Event()
    threading.Thread(
        target=_probe_database, args=(answered,), name="readiness-database", daemon=True
    ).start()
    return answered.wait


def _probe_database(answered: threading.Event) -> None:
    # A thread of its own means a connection of its own (Django's are per thread): the probe
    # connects afresh, as a new worker would, and a hung attempt never holds a request's.
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() == (1,):
                answered.set()
    except Exception:  # noqa: S110 - any failure is "down", which the caller reports
        pass
    finally:
        connections.close_all()
        _probe_lock.release()


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
    database_probe = _start_database_probe()
    down = {}
    if settings.REDIS_URL and not redis_answers():
        down["redis"] = "down"
    if not database_probe(max(0.0, deadline - time.monotonic())):
        down = {"database": "down", **down}
    return down
