"""Where a page may send the browser next: only back into the same realm (no open redirect)."""

from urllib.parse import unquote, urlsplit

from accounts.models import Realm

# The longest ``next`` a page accepts; an authorization request must fit in it to survive login.
MAX_NEXT_LENGTH = 4096


def default_next(realm: Realm) -> str:
    return f"/realms/{realm.name}/account"


def safe_next(realm: Realm, candidate: str | None) -> str:
    """``candidate`` if it is a relative path inside /realms/NAME/, else the account page."""
    if not candidate or len(candidate) > MAX_NEXT_LENGTH:
        return default_next(realm)
    if any(ch in candidate for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in candidate):
        return default_next(realm)
    parts = urlsplit(candidate)
    # Browsers treat %2e%2e as "..": judge the path as they will resolve it.
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not path.startswith(f"/realms/{realm.name}/"):
        return default_next(realm)
    if "/../" in path or path.endswith("/..") or "/./" in path or "//" in path:
        return default_next(realm)
    return candidate
