"""Keycloak's ``passwordBlacklist(NAME)`` policy: a password may not be a word of the list NAME,
a file of one word a line in the server's blacklist folder (``PASSWORD_BLACKLISTS_DIR``, as
Keycloak's ``data/password-blacklists``). Words are compared in lower case, as in Keycloak.
A policy naming a list the folder does not hold is refused where it is set, as Keycloak does."""

import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings

# A plain file name: no folder, nothing hidden.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class BlacklistError(ValueError):
    pass


def path_of(name: str) -> Path:
    """The file of the list ``name``; BlacklistError if the name or the file is no good."""
    if not _NAME.fullmatch(name):
        raise BlacklistError(f"password blacklist {name!r} is not a plain file name")
    path = Path(settings.PASSWORD_BLACKLISTS_DIR) / name
    if not path.is_file():
        raise BlacklistError(
            f"password blacklist {name!r} not found in {settings.PASSWORD_BLACKLISTS_DIR}"
        )
    return path


def contains(name: str, password: str) -> bool:
    """Whether ``password`` is on the list ``name`` (BlacklistError if the list is gone)."""
    path = path_of(name)
    return password.lower() in _words(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _words(path: str, _modified: int) -> frozenset[str]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())
