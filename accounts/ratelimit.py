"""Token-bucket rate limits, kept in the cache: Redis (one atomic Lua script) or, without
``REDIS_URL``, the in-process cache; login limits then go to the store every worker shares
(files under var/), so that a username's limit holds whichever worker a guess reaches. A bucket
there is read and written without a lock between processes: attempts at the same instant on two
workers may take one token, which still bounds guessing to the rate times the workers.

A bucket holds up to BURST tokens and refills at RATE per second; each request takes one, and a
request finding it empty is told how long to wait (``Retry-After``). Limits are a defence, not a
dependency: when Redis fails the request goes on (fail open), the failure is logged, and Redis
is left alone for a few seconds so that an outage costs neither a timeout per request nor a log
line per request. Sessions, tokens and the brute-force lockout never depend on these buckets.

Keys are hashed: a username or an address never appears in Redis as given.
"""

import hashlib
import logging
import math
import threading
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.shortcuts import render

from accounts.addresses import client_ip

log = logging.getLogger(__name__)

Rate = tuple[float, int]  # (tokens per second, burst), as settings hold it (env.rate)

# After a Redis failure, skip Redis (fail open) for this long before trying again.
_BACKOFF_SECONDS = 5.0

# KEYS: the buckets; ARGV[1]: now (seconds, float); ARGV[3i-1], ARGV[3i], ARGV[3i+1]: bucket
# i's rate per second, burst, and the most tokens it may lease at once. Each bucket that has a
# token gives one, or, while it is more than half full, up to the lease; the reply is the longest
# wait of the buckets that had none ("0" when none was empty), then each bucket's grant. Floats
# travel as strings: Redis would truncate a Lua number reply to an integer.
_TOKEN_BUCKETS = """
local now = tonumber(ARGV[1])
local longest = 0
local grants = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i - 1])
  local burst = tonumber(ARGV[3 * i])
  local lease = tonumber(ARGV[3 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1])
  local at = tonumber(state[2])
  if tokens == nil or at == nil then
    tokens = burst
    at = now
  end
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
  local granted = 0
  if tokens >= 1 then
    granted = math.max(1, math.min(lease, math.floor(tokens - burst / 2)))
    tokens = tokens - granted
  else
    longest = math.max(longest, (1 - tokens) / rate)
  end
  grants[i] = granted
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((burst / rate) * 1000) + 1000)
end
return {tostring(longest), unpack(grants)}
"""

# A process may take several tokens of a bucket at once while the bucket is more than half full,
# and spend them without a round trip for up to LEASE_SECONDS; what is left then is dropped.
# Far from its limit, a busy client costs Redis one call per lease instead of one per request;
# near it (half the burst or less) every request is counted in Redis, so the limit stays exact.
# A lease is at most LEASE_FRACTION of the burst and what the rate refills in LEASE_SECONDS.
LEASE_SECONDS = 1.0
LEASE_FRACTION = 0.01

_redis_down_until: dict[str, float] = {}
_local_lock = threading.Lock()
_scripts: dict[int, object] = {}
# (bucket, rate) -> [tokens left, time the lease ends]
_leases: dict[tuple, list] = {}
_MAX_LEASES = 10_000

Bucket = tuple[str, str, Rate | None]  # (scope, key, rate)


def limit(scope: str, key: str, rate: Rate | None) -> int | None:
    """Take one token from the bucket of ``key`` in ``scope``: None when the request may go on,
    else the whole seconds to wait before one may (at least 1). No rate, no limit."""
    return limit_all([(scope, key, rate)])


def limit_all(buckets: list[Bucket], *, shared: bool = False) -> int | None:
    """``limit`` for several buckets at once, in one round trip at most: each gives up a token
    if it has one; the answer is the longest wait of those that had none. ``shared``: without
    Redis, in the store every worker shares rather than in this process."""
    wanted = [(scope, key, rate) for scope, key, rate in buckets if rate is not None and key]
    if not wanted:
        return None
    names = [
        cache.make_key(f"ratelimit:{scope}:{hashlib.sha256(key.encode()).hexdigest()}")
        for scope, key, _ in wanted
    ]
    rates = [rate for _, _, rate in wanted]
    now = time.time()
    if _uses_redis():
        wait = _take_in_redis(names, rates, now)
    else:
        store = caches["shared"] if shared else cache
        waits = [
            _take_in_process(store, name, *rate, now)
            for name, rate in zip(names, rates, strict=True)
        ]
        wait = max((wait for wait in waits if wait is not None), default=None)
    if wait is None or wait <= 0:
        return None
    return max(1, math.ceil(wait))


def forget_leases() -> None:
    with _local_lock:
        _leases.clear()


def _lease_size(rate: Rate) -> int:
    per_second, burst = rate
    return max(1, min(int(burst * LEASE_FRACTION), int(per_second * LEASE_SECONDS)))


def _take_leased(names: list[str], rates: list[Rate]) -> list[int]:
    """Spend a leased token of each bucket that has one; the indexes of those that have none."""
    now = time.time()
    missing = []
    with _local_lock:
        for index, (name, rate) in enumerate(zip(names, rates, strict=True)):
            lease = _leases.get((name, rate))
            # The wall clock, as the buckets' own; a clock set back ends a lease too.
            if lease is not None and lease[0] >= 1 and 0 < lease[1] - now <= LEASE_SECONDS:
                lease[0] -= 1
            else:
                missing.append(index)
    return missing


def _keep_leases(leases: list[tuple[str, Rate, int]]) -> None:
    ends = time.time() + LEASE_SECONDS
    with _local_lock:
        if len(_leases) >= _MAX_LEASES:
            _leases.clear()
        for name, rate, left in leases:
            _leases[(name, rate)] = [left, ends]


def _uses_redis() -> bool:
    return settings.CACHES["default"]["BACKEND"].startswith("django_redis.")


def _take_in_redis(names: list[str], rates: list[Rate], now: float) -> float | None:
    from django_redis import get_redis_connection
    from redis.exceptions import RedisError

    missing = _take_leased(names, rates)
    if not missing:
        return None
    names = [names[index] for index in missing]
    rates = [rates[index] for index in missing]
    location = str(settings.CACHES["default"].get("LOCATION"))
    if time.monotonic() < _redis_down_until.get(location, 0.0):
        return None
    args = [repr(now)]
    for rate in rates:
        args += [repr(rate[0]), rate[1], _lease_size(rate)]
    try:
        connection = get_redis_connection("default")
        script = _scripts.get(id(connection))
        if script is None:
            script = _scripts[id(connection)] = connection.register_script(_TOKEN_BUCKETS)
        wait, *grants = script(keys=names, args=args)
    except (RedisError, OSError) as error:
        _redis_down_until[location] = time.monotonic() + _BACKOFF_SECONDS
        log.warning(
            "rate limits off for %ss: Redis failed (%s: %s)",
            _BACKOFF_SECONDS,
            type(error).__name__,
            error,
        )
        return None
    _redis_down_until.pop(location, None)
    leftovers = zip(names, rates, grants, strict=True)
    _keep_leases([(name, rate, int(granted) - 1) for name, rate, granted in leftovers if granted])
    return float(wait)


def _take_in_process(store, bucket: str, per_second: float, burst: int, now: float) -> float | None:
    """The same bucket in a cache of this machine (atomic within this process)."""
    with _local_lock:
        tokens, at = store.get(bucket) or (float(burst), now)
        tokens = min(burst, tokens + max(0.0, now - at) * per_second)
        if tokens >= 1:
            store.set(bucket, (tokens - 1, now), timeout=math.ceil(burst / per_second) + 1)
            return None
        store.set(bucket, (tokens, now), timeout=math.ceil(burst / per_second) + 1)
        return (1 - tokens) / per_second


# --- login forms ------------------------------------------------------------------------------
def limit_logins(scope: str, *, per_username: bool):
    """Decorate a login view: its POSTs are limited (AUTHSERVER_RATE_LOGIN) per client address,
    and with ``per_username`` per username of the request's realm too. A refused POST is not
    looked at (no password is checked) and gets a 429 page with ``Retry-After``. This comes on
    top of the realm's brute-force lockout, which counts failures per user in the database."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                wait = _login_wait(request, scope, per_username=per_username)
                if wait is not None:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _login_wait(request, scope: str, *, per_username: bool) -> int | None:
    """An address's bucket spans every realm; a username's is its realm's (usernames are unique
    per realm), or the scope's on a page of no realm (the console, whose users are all of the
    master realm). Both are charged, so a refused username still costs its address a token."""
    rate = settings.AUTHSERVER_RATE_LOGIN
    buckets = [(f"{scope}-ip", client_ip(request), rate)]
    if per_username:
        buckets.append(
            username_bucket(
                scope, getattr(request, "realm", None), request.POST.get("username", "")
            )
        )
    return limit_all(buckets, shared=True)


def username_bucket(scope: str, realm, username: str) -> Bucket:
    """The login bucket of ``username`` in ``realm`` (None: the console's). The password grant
    charges the login form's (scope "login"): one allowance, whichever way a guess comes."""
    where = f"{scope}-user:{realm.pk}" if realm is not None else f"{scope}-user"
    return (where, username[:255].casefold(), settings.AUTHSERVER_RATE_LOGIN)


def too_many_requests(request, wait: int):
    """RFC 6585 §4: 429 with Retry-After, as a page a person can read."""
    response = render(
        request,
        "accounts/too_many_requests.html",
        {"realm": getattr(request, "realm", None), "retry_after": wait},
        status=429,
    )
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response
