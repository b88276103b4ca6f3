"""Typed access to the environment: the only place settings read it.

Each helper fails loudly on a malformed value instead of guessing. A secret may also be given
as ``NAME_FILE`` pointing at a file that holds it (Docker and Kubernetes secrets).
"""

import os
import secrets
from pathlib import Path


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


def integer(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, not {raw!r}") from None


def choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices`` (case-insensitive), or ``default`` when unset."""
    value = string(name).lower() or default
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def seconds(name: str, default: int) -> int:
    """A whole number of seconds, 0 or more."""
    value = integer(name, default)
    if value < 0:
        raise ConfigurationError(f"{name} must be a number of seconds, 0 or more, not {value}")
    return value


def string_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def rate(name: str, default: str) -> tuple[float, int] | None:
    """A token-bucket rate written ``RATE/BURST``: RATE requests per second on average, BURST
    at once (``5/20``, ``0.5/10``); ``off`` for no limit."""
    raw = os.environ.get(name)
    text = (default if raw is None or not raw.strip() else raw).strip().lower()
    if text == "off":
        return None
    try:
        per_second, burst = text.split("/")
        parsed = (float(per_second), int(burst))
    except ValueError:
        raise ConfigurationError(
            f"{name} must be RATE/BURST (requests per second / at once) or off, not {raw!r}"
        ) from None
    if not parsed[0] > 0 or parsed[1] < 1 or parsed[0] == float("inf"):
        raise ConfigurationError(f"{name}: RATE must be above 0 and BURST at least 1, not {raw!r}")
    return parsed


def secret(name: str) -> str:
    """The value of NAME, or the contents of the file NAME_FILE points at, or ""."""
    value = os.environ.get(name, "").strip()
    path = os.environ.get(f"{name}_FILE", "").strip()
    if value and path:
        raise ConfigurationError(f"set {name} or {name}_FILE, not both")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE: cannot read {path}: {exc}") from None
    return value


def generated_secret(name: str, path: Path) -> str:
    """NAME from the environment, else a random value kept in ``path`` across restarts."""
    value = secret(name)
    if value:
        return value
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside then hard-linked into place: two workers starting at once agree on one value.
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    try:
        os.link(staging, path)
    except FileExistsError:
        pass
    finally:
        staging.unlink()
    return path.read_text().strip()
