"""gunicorn settings from the environment.

gunicorn -c deploy/gunicorn.conf.py authserver.wsgi
"""

import multiprocessing
import os

bind = os.environ.get("AUTHSERVER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("AUTHSERVER_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("AUTHSERVER_THREADS") or 1)
worker_class = "sync" if threads == 1 else "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("AUTHSERVER_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Request smuggling and oversized headers are refused before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
