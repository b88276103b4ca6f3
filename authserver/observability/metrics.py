"""Every Prometheus metric the server exports, and the registry /metrics reads.

Under gunicorn each worker writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR``
(deploy/gunicorn.conf.py sets it before anything imports prometheus_client) and a scrape adds
up every worker's; without it (``make run``, the tests) the process's own registry is read.
Updating a metric is a few microseconds and no query: only counters and histograms here. What
needs the database (signing-key ages) is read when Prometheus scrapes (collectors.py).

Label values come from the server's own names (route names, realm and client ids that
authenticated, Keycloak's event and error names), never from anything a client may invent.
"""

import functools
import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess

requests = Counter(
    "authserver_http_requests",
    "HTTP requests answered, by route name, method and status.",
    ["endpoint", "method", "status"],
)
request_duration = Histogram(
    "authserver_http_request_duration_seconds",
    "Time spent answering a request, by route name.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
tokens_issued = Counter(
    "authserver_tokens_issued",
    "Successful token responses, by realm, client and grant type.",
    ["realm", "client", "grant_type"],
)
user_events = Counter(
    "authserver_user_events",
    "User events recorded in the audit log, by realm and Keycloak event type.",
    ["realm", "event"],
)
logins = Counter(
    "authserver_logins",
    "Successful logins (Keycloak's LOGIN event), by realm and client.",
    ["realm", "client"],
)
failed_logins = Counter(
    "authserver_failed_login_attempts",
    "Failed logins (Keycloak's LOGIN_ERROR event), by realm, client and Keycloak error name.",
    ["realm", "client", "error"],
)
refresh_token_reuse = Counter(
    "authserver_refresh_token_reuse",
    "Refresh tokens presented again after their rotation or revocation (their family is "
    "revoked), by realm and client.",
    ["realm", "client"],
)
rate_limited = Counter(
    "authserver_rate_limited_requests",
    "Requests refused with 429 by a rate limit, by route name.",
    ["endpoint"],
)
database_errors = Counter(
    "authserver_database_errors",
    "Requests that failed on a database error, by error class.",
    ["error"],
)
redis_errors = Counter(
    "authserver_redis_errors",
    "Redis failures, by what was using it (the cache, the rate limits).",
    ["source"],
)


@functools.lru_cache(maxsize=2048)
def request_series(endpoint: str, method: str, status: str):
    """The request counter and duration histogram of one (route, method, status): looked up
    once per process, since ``labels()`` costs more than the update itself."""
    return requests.labels(endpoint, method, status), request_duration.labels(endpoint)


def registry() -> CollectorRegistry:
    """What a scrape reads: every worker's samples under gunicorn, else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined
