"""Whether the database can store and compare a string, or a parsed JSON body, at all."""

import math

# What a JSON number may be here: JavaScript's safe integers, finite floats (PostgreSQL's
# jsonb has no NaN or Infinity).
MAX_SAFE_INTEGER = 2**53 - 1


def storable(value: str) -> bool:
    """False for a NUL character (PostgreSQL refuses it in text) or a lone surrogate (no UTF-8
    database can encode it). Such a string names nothing of ours: a lookup with it is a miss,
    not a server error, and a write with it is refused."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_problem(value: object, path: str = "") -> tuple[str, str] | None:
    """Where a parsed JSON body holds what cannot be stored (a NUL, a lone surrogate, a number
    out of range), and why; None when all of it can."""
    if isinstance(value, str):
        if not storable(value):
            return path, "must not hold a NUL character or a lone surrogate"
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            return path, f"must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}"
    elif isinstance(value, float):
        if not math.isfinite(value):
            return path, "must be a finite number"
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = json_problem(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            if not storable(key):
                return path, "a key holds a NUL character or a lone surrogate"
            found = json_problem(item, f"{path}.{key}" if path else key)
            if found:
                return found
    return None
