"""Whether the database can store and compare a string at all."""


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
