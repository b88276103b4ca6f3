import socket
import threading

import pytest
from django.db import connection


def _point_the_database_at(host: str, port: int):
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST=host, PORT=str(port))
    return saved


def _restore_the_database(saved: dict) -> None:
    # A readiness probe still waiting on the hung database ends at its connect timeout; it must
    # not carry over into the next test.
    for thread in threading.enumerate():
        if thread.name == "readiness-database":
            thread.join(timeout=30)
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.fixture
def unreachable_database():
    """The settings point at a port where no database listens: connections are refused."""
    if connection.vendor != "postgresql":
        # The SQLite test database lives in memory: its connection cannot be dropped and kept.
        pytest.skip("a dropped database connection needs PostgreSQL")
    saved = _point_the_database_at("127.0.0.1", 1)
    yield
    _restore_the_database(saved)


@pytest.fixture
def hung_database():
    """The settings point at a server that accepts connections and never says a word, as a
    database host does when its PostgreSQL is frozen (stopped, swapping, out of disk)."""
    if connection.vendor != "postgresql":
        pytest.skip("a hung database connection needs PostgreSQL")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        # Never accepted: the kernel completes the handshake, then nothing is ever read or sent.
        listener.listen(64)
        saved = _point_the_database_at(*listener.getsockname())
        yield
        _restore_the_database(saved)
