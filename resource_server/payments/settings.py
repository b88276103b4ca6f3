"""Settings of the payment service: ``gunicorn resource_server.payments.wsgi``."""

from resource_server import conf
from resource_server.settings import *  # noqa: F403 (the shared settings, then ours)

RESOURCE_SERVER = conf.load("payments", default_audience="payments")
INSTALLED_APPS = ["resource_server.payments"]
ROOT_URLCONF = "resource_server.payments.urls"
WSGI_APPLICATION = "resource_server.payments.wsgi.application"
DATABASES = conf.databases("payments")
CACHES = conf.caches("payments")
LOGGING = conf.logging_config()
DATA_UPLOAD_MAX_MEMORY_SIZE = RESOURCE_SERVER.max_body_bytes
