"""What the admin API accepts at all, checked before a handler reads or writes anything.

- A JSON body holds no string (key or value) with a NUL character or a lone surrogate: the
  database can store neither (accounts/storable.py), and a half-done write would follow. Its
  numbers are I-JSON's (RFC 7493 §2.2): finite, and whole numbers within ±(2**53 - 1).
- Paging parameters are plain ASCII digits within Keycloak's 32-bit ``Integer``.
- Names that become a path segment of a URL and an item of a token claim (roles) hold no
  control character and no ``/``, and are at most 255 characters, as Keycloak's are.

Each refusal is a BadRequest naming the field by its JSON path.
"""

import re
import unicodedata

from accounts.storable import json_problem
from authserver.adminapi.errors import BadRequest, invalid_field

MAX_QUERY_INTEGER = 2**31 - 1
MAX_NAME_LENGTH = 255
_DIGITS = re.compile(r"[0-9]{1,10}")


def checked_body(value: object, path: str = "") -> object:
    """``value`` (a parsed JSON body) if every string and number in it can be stored."""
    problem = json_problem(value, path)
    if problem:
        raise invalid_field(*problem)
    return value


def query_count(query: dict[str, str], name: str, default: int) -> int:
    """A paging parameter (``first``, ``max``): ASCII digits, at most 2**31 - 1."""
    value = query.get(name)
    if value is None:
        return default
    if not _DIGITS.fullmatch(value) or int(value) > MAX_QUERY_INTEGER:
        raise BadRequest(
            f"{name} must be a whole number from 0 to {MAX_QUERY_INTEGER}",
            fields={name: "expected a number"},
        )
    return int(value)


def check_name(name: str, field: str = "name") -> str:
    """A role's name: no control or format character, no ``/``, at most 255 characters."""
    if not name.strip():
        raise invalid_field(field, "is required")
    if len(name) > MAX_NAME_LENGTH:
        raise invalid_field(field, f"may hold at most {MAX_NAME_LENGTH} characters")
    if "/" in name:
        raise invalid_field(field, "cannot contain '/'")
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in name):
        raise invalid_field(field, "must not hold control characters")
    return name
