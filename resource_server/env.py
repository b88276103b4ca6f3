"""Typed access to the environment for the services' settings (the only place they read it).

A malformed value fails loudly at startup instead of being guessed at. A secret may also be
given as ``NAME_FILE``, a path to a file holding it (Docker and Kubernetes secrets).
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit


class ConfigurationError(Exception):
    pass


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def string(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def boolean(name: str, *, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0/true/false, not {raw!r}")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    return value


def number(name: str, default: float, *, minimum: float = 0) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None
    if not minimum <= value < float("inf"):
        raise ConfigurationError(f"{name} must be a finite number of at least {minimum}")
    return value


def string_list(name: str, default: str = "") -> list[str]:
    """Comma-separated values; ``default`` (in the same form) only when NAME is unset."""
    raw = os.environ.get(name)
    if raw is None:
        raw = default
    return [item.strip() for item in raw.split(",") if item.strip()]


def url(name: str, default: str = "") -> str:
    """An absolute http(s) URL without a trailing slash, or "" when unset."""
    value = string(name, default).rstrip("/")
    if value:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigurationError(f"{name} must be an absolute http(s) URL, not {value!r}")
    return value


def networks(name: str, default: str = "") -> tuple:
    """Comma-separated IP addresses or CIDR networks (``10.0.0.0/8, ::1``)."""
    found = []
    for item in string_list(name, default):
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigurationError(f"{name}: {item!r} is not an IP address or network") from None
    return tuple(found)


def secret(name: str) -> str:
    """The value of NAME, or the contents of the file NAME_FILE points at, or ""."""
    value = os.environ.get(name, "").strip()
    path = os.environ.get(f"{name}_FILE", "").strip()
    if value and path:
        raise ConfigurationError(f"set {name} or {name}_FILE, not both")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as error:
            raise ConfigurationError(f"{name}_FILE: cannot read {path}: {error}") from None
    return value
