"""Readiness probes of what the server depends on: plain values out, no HTTP."""

from django.conf import settings
from django.db import connection


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


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
    """What is down, by name; empty when everything needed answers."""
    down = {}
    if not database_answers():
        down["database"] = "down"
    if settings.REDIS_URL and not redis_answers():
        down["redis"] = "down"
    return down
