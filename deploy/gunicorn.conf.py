"""gunicorn settings from the environment.

gunicorn -c deploy/gunicorn.conf.py authserver.wsgi
gunicorn -c deploy/gunicorn.conf.py resource_server.orders.wsgi     (RS_BIND; payments likewise)

TLS and mutual TLS between the services: docs/deployment.md.
"""

import gc
import multiprocessing
import os
import ssl
import sys
import tempfile
from pathlib import Path


def _flag(name: str, *, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value not in {"", "0", "1", "true", "false", "yes", "no", "on", "off"}:
        raise RuntimeError(f"{name} must be 1/0/true/false, not {value!r}")
    return default if value == "" else value in {"1", "true", "yes", "on"}


# Sync workers read each request from the client themselves, so one slow client holds one
# worker: clients reach them only through a buffering proxy (deploy/nginx/authserver.conf), and
# the bind address stays one only the proxy reaches. The sample services share this file; they
# listen where RS_BIND says.
_SAMPLE_SERVICE = any(arg.startswith("resource_server.") for arg in sys.argv[1:])
bind = (
    os.environ.get("RS_BIND", "127.0.0.1:8001")
    if _SAMPLE_SERVICE
    else os.environ.get("AUTHSERVER_BIND", "127.0.0.1:8000")
)
# One worker per core, plus one to keep the cores busy while a worker waits on the database.
# The hot paths are CPU-bound (signing, no query for client credentials): gunicorn's usual
# 2 x CPUs + 1 only adds processes competing for the cores (docs/performance.md). With the
# database far away (a round trip of milliseconds), raise AUTHSERVER_WORKERS.
workers = int(os.environ.get("AUTHSERVER_WORKERS") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("AUTHSERVER_THREADS") or 1)
worker_class = "sync" if threads == 1 else "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests, and a random tenth more, so that the workers
# are not replaced together: a net for memory a worker might keep growing (none is known; a
# worker stays near 106 MB resident after 56,000 requests of every kind, docs/performance.md).
# Each replacement costs the new worker a database connection, a Redis connection and its
# per-process caches: the requests queued at it wait tens of ms. At 10,000, a busy worker was
# replaced every 8-40 s, and refresh's p99 at c=8 went from 15 to 25 ms. 0: never replaced.
max_requests = int(os.environ.get("AUTHSERVER_MAX_REQUESTS") or 1_000_000)
max_requests_jitter = max_requests // 10
# The application is imported once, in the master, and the workers are forked from it: a worker
# replaced after max_requests (or a crash) serves at once, instead of importing Django again on
# cores busy with the others' requests (a second of CPU, and p99 latency spikes under load).
# Code is then read at start only: deploy new code by restarting the master (or USR2), not HUP.
# AUTHSERVER_PRELOAD=0 imports in each worker instead.
preload_app = _flag("AUTHSERVER_PRELOAD", default=True)


def pre_fork(server, worker):
    """What the master holds when it forks is every worker's: a database connection opened
    while importing would be one socket shared by all of them, so it is closed first (Django
    opens another in each worker when a request needs it; Redis's pools reset themselves in a
    new process). The imported objects are moved out of the garbage collector's sight
    (gc.freeze, as Python's documentation advises before a fork): its passes would otherwise
    write to every one of them and copy their pages into each worker (10 MB per worker)."""
    if not preload_app:
        return
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()
    gc.freeze()


# One line per request (authserver/access_log.py): time, address, request line, status, bytes,
# milliseconds; gunicorn's stock logger spends a tenth of a JWKS answer building its atoms.
# AUTHSERVER_ACCESS_LOG: unset or "-" for stdout, "off" for no access log, else a file path
# (reopened on USR1). The sample services know nothing of the server's packages: they keep
# gunicorn's stock logger.
if not _SAMPLE_SERVICE:
    logger_class = "authserver.access_log.AccessLogger"
_access_log = os.environ.get("AUTHSERVER_ACCESS_LOG", "").strip() or "-"
if _access_log.lower() in {"0", "1", "false", "true", "no", "yes", "on", "none"}:
    raise RuntimeError(f'AUTHSERVER_ACCESS_LOG is "-", "off" or a file path, not {_access_log!r}')
accesslog = None if _access_log.lower() == "off" else _access_log
errorlog = "-"
# Read only by gunicorn's stock logger (the sample services', or --logger-class
# gunicorn.glogging.Logger): the request line without its query, which may carry secrets.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("AUTHSERVER_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Request smuggling and oversized headers are refused before Django sees them.
limit_request_line = 8190
limit_request_fields = 100


# --- Prometheus metrics, added up across the workers (authserver/observability/metrics.py) ----
# Each worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR, which prometheus_client
# reads when first imported: set here, before the application is. Unset, a fresh directory
# under the system's temporary one (kept across a HUP: the variable is set by then).
if not _SAMPLE_SERVICE and not os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip():
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="authserver-metrics-")


def on_starting(server):
    """A new master starts its counts from zero: a previous one's files are removed."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if _SAMPLE_SERVICE or not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """A worker that exits (recycled after max_requests, or crashed) keeps its counts in the
    totals; prometheus_client forgets what only a live process may report."""
    if _SAMPLE_SERVICE:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# --- TLS, and mutual TLS between the services (docs/deployment.md) ---------------------------
_tls_cert = os.environ.get("AUTHSERVER_TLS_CERT", "").strip()
_tls_key = os.environ.get("AUTHSERVER_TLS_KEY", "").strip()
_tls_ca = os.environ.get("AUTHSERVER_TLS_CA", "").strip()
_require_client_cert = _flag("AUTHSERVER_TLS_REQUIRE_CLIENT_CERT")
if bool(_tls_cert) != bool(_tls_key):
    raise RuntimeError("set both AUTHSERVER_TLS_CERT and AUTHSERVER_TLS_KEY, or neither")
if (_tls_ca or _require_client_cert) and not _tls_cert:
    raise RuntimeError("AUTHSERVER_TLS_CA and client certificates need AUTHSERVER_TLS_CERT")
if _require_client_cert and not _tls_ca:
    raise RuntimeError("AUTHSERVER_TLS_REQUIRE_CLIENT_CERT=1 needs AUTHSERVER_TLS_CA")
if _tls_cert:
    certfile = _tls_cert
    keyfile = _tls_key
    # Python's server defaults: TLS 1.2 at least, its cipher list.
    if _tls_ca:
        # Client certificates are checked against this CA: required, or only if offered.
        ca_certs = _tls_ca
        cert_reqs = ssl.CERT_REQUIRED if _require_client_cert else ssl.CERT_OPTIONAL
