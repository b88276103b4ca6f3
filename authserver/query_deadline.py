"""A deadline on each PostgreSQL query, kept by the client.

``statement_timeout`` and ``lock_timeout`` (settings.py) are the server's to enforce. A server
that is frozen (its processes stopped, its host swapping or out of disk) or cut off from the
network enforces nothing: a query sent on a connection opened before it froze waits, and the
request with it, until gunicorn kills the worker. One watchdog thread per process shuts down the
socket of a query still running past the statement timeout and ``GRACE_SECONDS``; psycopg then
raises OperationalError, which answers 503 with Retry-After (views/server_error.py), and Django
drops the broken connection after the request.
"""

import os
import socket
import threading
import time

from django.conf import settings
from django.db.backends.signals import connection_created

# Past the server's own bound: a server that answers reports its timeout first.
GRACE_SECONDS = 2
_TICK_SECONDS = 0.25


class _Watchdog:
    """The queries running in this process, each with its deadline and socket."""

    def __init__(self):
        self._reset()
        # A lock the parent's watchdog held at the fork would stay held in the child forever;
        # and the child has no watchdog thread until its first query starts one.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self.lock = threading.Lock()
        self.running: dict[int, tuple[float, int]] = {}
        self.thread = None

    def watch(self, key: int, deadline: float, descriptor: int) -> None:
        with self.lock:
            self.running[key] = (deadline, descriptor)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._loop, name="query-deadline", daemon=True
                )
                self.thread.start()

    def done(self, key: int) -> None:
        with self.lock:
            self.running.pop(key, None)

    def _loop(self) -> None:
        while True:
            time.sleep(_TICK_SECONDS)
            now = time.monotonic()
            # Under the lock, a registered query is still in its execute: its connection, and
            # so its socket, is still open.
            with self.lock:
                for key, (deadline, descriptor) in list(self.running.items()):
                    if now >= deadline:
                        del self.running[key]
                        _shut_down(descriptor)


def _shut_down(descriptor: int) -> None:
    # On a duplicate of the descriptor: the connection still owns (and later closes) the
    # original. Shutting the socket down wakes psycopg's wait with end-of-file at once.
    try:
        duplicate = socket.socket(fileno=os.dup(descriptor))
    except OSError:
        return
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        duplicate.close()


_watchdog = _Watchdog()


def _with_deadline(execute, sql, params, many, context):
    """A Django execute wrapper: the query is watched while it runs."""
    database = context["connection"]
    seconds = settings.AUTHSERVER_DB_STATEMENT_TIMEOUT
    try:
        descriptor = database.connection.pgconn.socket
    except Exception:
        # No socket to watch (the connection is already broken): the query fails by itself.
        return execute(sql, params, many, context)
    key = id(database)
    _watchdog.watch(key, time.monotonic() + seconds + GRACE_SECONDS, descriptor)
    try:
        return execute(sql, params, many, context)
    finally:
        _watchdog.done(key)


def _install(sender, connection, **kwargs):
    if connection.vendor != "postgresql" or not settings.AUTHSERVER_DB_STATEMENT_TIMEOUT:
        return
    if _with_deadline not in connection.execute_wrappers:
        # First in the list, innermost: a caller's ``with connection.execute_wrapper(...)``
        # that was open when the connection was made still pops its own wrapper at its end.
        connection.execute_wrappers.insert(0, _with_deadline)


connection_created.connect(_install, dispatch_uid="authserver.query_deadline")
