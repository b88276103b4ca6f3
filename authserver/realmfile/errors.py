"""The error a realm file can cause, and the JSON paths it names: ``users[2].realmRoles[0]``."""

import json
import re

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class RealmFileError(Exception):
    """What is wrong with a realm file, and where: ``path`` is the JSON path of the bad element."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class RealmExistsError(RealmFileError):
    """The realm is already there and the import was not asked to replace it."""


def member(path: str, key: str) -> str:
    """The path of ``key`` in the object at ``path``; odd keys in brackets: ``a["b.c"]``."""
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{quote(key)}]"


def item(path: str, index: int) -> str:
    return f"{path}[{index}]"


def quote(value: object) -> str:
    """A value as it would appear in the file, on one line whatever it holds."""
    return json.dumps(value, ensure_ascii=False)
