"""Reading a JSON request body into checked values; BadPayload (400) names the bad field."""

import json
import re

from django.core.exceptions import RequestDataTooBig

_CURRENCY = re.compile(r"[A-Z]{3}")


class BadPayload(Exception):
    pass


def json_object(request) -> dict:
    if request.content_type != "application/json":
        raise BadPayload("send application/json")
    try:
        data = json.loads(request.body or b"null")
    except RequestDataTooBig:
        raise BadPayload("the request body is too large") from None
    except ValueError:
        raise BadPayload("the body is not JSON") from None
    except RecursionError:
        raise BadPayload("the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadPayload("the body must be a JSON object")
    return data


def text(data: dict, name: str, *, max_length: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise BadPayload(f"{name} must be a non-empty string of at most {max_length} characters")
    if not _storable(value):
        raise BadPayload(f"{name} must not hold a NUL character or a lone surrogate")
    return value.strip()


def _storable(value: str) -> bool:
    """Whether the database can store ``value``: no NUL (PostgreSQL refuses it), no lone
    surrogate (no UTF-8 database can encode it)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def integer(
    data: dict, name: str, *, minimum: int, maximum: int, default: int | None = None
) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise BadPayload(f"{name} must be an integer from {minimum} to {maximum}")
    return value


def currency(data: dict, name: str = "currency", *, default: str = "EUR") -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise BadPayload(f"{name} must be an ISO 4217 code such as EUR")
    return value
