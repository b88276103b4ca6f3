"""A WSGI application that opens a database connection while it is imported, as a careless
module might, and says in which process it was imported and whether the worker answering
found that connection still open."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authserver.settings")
django.setup()

from django.db import connection  # noqa: E402 - after setup

connection.ensure_connection()
IMPORTED_IN = os.getpid()


def application(environ, start_response):
    inherited = connection.connection is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    body = json.dumps(
        {
            "pid": os.getpid(),
            "imported_in": IMPORTED_IN,
            "inherited_connection": inherited,
            "query": one,
        }
    ).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
