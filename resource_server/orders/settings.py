"""Settings of the order service: ``gunicorn resource_server.orders.wsgi``."""

from resource_server import conf
from resource_server.settings import *  # noqa: F403 (the shared settings, then ours)

RESOURCE_SERVER = conf.load("orders", default_audience="orders")
INSTALLED_APPS = ["resource_server.orders"]
ROOT_URLCONF = "resource_server.orders.urls"
WSGI_APPLICATION = "resource_server.orders.wsgi.application"
DATABASES = conf.databases("orders")
CACHES = conf.caches("orders")
LOGGING = conf.logging_config()
DATA_UPLOAD_MAX_MEMORY_SIZE = RESOURCE_SERVER.max_body_bytes
