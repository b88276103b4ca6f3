"""When an outbox tries a failed send again (the realms' mail, the back-channel logouts):
exponential backoff from a first wait, capped."""

from datetime import datetime, timedelta


def next_attempt(now: datetime, attempts: int, *, first_seconds: int, max_seconds: int) -> datetime:
    """After ``attempts`` failed sends (1 after the first): ``first_seconds``, doubled for each
    further failure, at most ``max_seconds``."""
    return now + timedelta(seconds=min(first_seconds * 2 ** (attempts - 1), max_seconds))
