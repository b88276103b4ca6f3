"""The gateway's rate limit: one Redis token bucket per caller, shared by every process of the
check (and every gateway in front of the same Redis)."""

import logging
import time

from resource_server.ratelimit import TokenBucket
from resource_server.tokencheck.config import CheckConfig

log = logging.getLogger(__name__)


class Limiter:
    """``take(key)`` -> (allowed, tokens left, Retry-After seconds). Off (everything allowed)
    without Redis or with a replenish rate of 0. When Redis fails, requests pass (a rate limiter
    must not take the services down), it is logged, and Redis is left alone for
    ``PAUSE_SECONDS`` rather than tried again by every request."""

    PAUSE_SECONDS = 5

    def __init__(self, bucket: TokenBucket | None):
        self._bucket = bucket
        self._paused_until = 0.0

    @classmethod
    def from_config(cls, config: CheckConfig) -> "Limiter":
        if not config.redis_url or config.rate_replenish <= 0:
            log.warning("gateway rate limiting is off (it needs REDIS_URL and a replenish rate)")
            return cls(None)
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            config.redis_url,
            socket_timeout=1,
            socket_connect_timeout=1,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(
            TokenBucket(
                client,
                rate=config.rate_replenish,
                capacity=config.rate_burst,
                prefix="gateway",
            )
        )

    def take(self, key: str) -> tuple[bool, float | None, int]:
        if self._bucket is None or time.monotonic() < self._paused_until:
            return True, None, 0
        try:
            return self._bucket.take(key)
        except Exception as error:  # any Redis failure: fail open, loudly
            log.error("gateway rate limiting paused for %s s: %s", self.PAUSE_SECONDS, error)
            self._paused_until = time.monotonic() + self.PAUSE_SECONDS
            return True, None, 0
