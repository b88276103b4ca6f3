"""Requests to the deployed WSGI application (authserver.wsgi.application), bytes as a server
passes them: any path, query string, body and content type, on whichever stack the path takes.

Django's test client builds its own handler (the whole middleware list for every path) and
encodes what it sends; these go where gunicorn's requests go.
"""

import io
import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from authserver.wsgi import application


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else None

    def json(self):
        return json.loads(self.body)


@contextmanager
def connection_kept():
    """As Django's test client: the request signals must not close the test's connection, which
    holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def send(
    path: str,
    *,
    method: str = "GET",
    query: str = "",
    body: bytes = b"",
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    scheme: str = "http",
    app=application,
) -> Answer:
    """One request; ``path`` is PATH_INFO as a server decodes it (latin-1 text of the bytes)."""
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443" if scheme == "https" else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = list(response_headers)

    with connection_kept():
        result = app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    return Answer(started["status"], started["headers"], content)
