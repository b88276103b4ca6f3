"""A token bucket per key, atomic in Redis (Spring Cloud Gateway's RedisRateLimiter algorithm):
``capacity`` requests at once, refilled at ``rate`` per second. Redis's own clock, so that
processes on machines with skewed clocks share one notion of time. Framework-free: the services'
middleware (resource_server.edge) and the gateway's token check (resource_server.tokencheck)
both count with it, each under its own prefix."""

import math

_TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local requested = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= requested then
  tokens = tokens - requested
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, tostring(tokens)}
"""


class TokenBucket:
    """``take(key)`` -> (allowed, tokens left, seconds until the next token)."""

    def __init__(self, redis, *, rate: float, capacity: int, prefix: str):
        self._script = redis.register_script(_TOKEN_BUCKET)
        self.rate = rate
        self.capacity = capacity
        self._prefix = prefix

    def take(self, key: str) -> tuple[bool, float, int]:
        allowed, left = self._script(
            keys=[f"{self._prefix}:ratelimit:{key}"], args=[self.rate, self.capacity, 1]
        )
        left = float(left)
        retry_after = 0 if allowed else max(1, math.ceil((1 - left) / self.rate))
        return bool(allowed), left, retry_after
