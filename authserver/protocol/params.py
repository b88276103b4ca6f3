"""Checks every token-style endpoint applies to its form parameters before oauthlib sees them.

Plain values in, typed errors out (RFC 6749 §3.1, §3.2: parameters sent without a value are
treated as omitted; request and response parameters MUST NOT be included more than once).
"""

from authserver.protocol.errors import InvalidRequest

MAX_VALUE_LENGTH = 8192
# RFC 8707 allows several resource indicators; every other parameter appears at most once.
_REPEATABLE = {"resource"}


def check_form_content_type(content_type: str) -> None:
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise InvalidRequest("the request body must be application/x-www-form-urlencoded")


def check_not_repeated(lists: dict[str, list[str]]) -> None:
    for name, values in lists.items():
        if len(values) > 1 and name not in _REPEATABLE:
            raise InvalidRequest(f"parameter {name} is repeated")


def check_lengths(lists: dict[str, list[str]]) -> None:
    for name, values in lists.items():
        if any(len(value) > MAX_VALUE_LENGTH for value in values):
            raise InvalidRequest(f"parameter {name} is too long")


def check_no_query(query_lists: dict[str, list[str]]) -> None:
    if query_lists:
        raise InvalidRequest("parameters belong in the request body, not the URL")


def check_grant_type(body: dict[str, list[str]]) -> None:
    """RFC 6749 §4.1.3, §4.4.2, §6: grant_type is REQUIRED; sent without a value it counts as
    omitted (§3.1), so it is a malformed request rather than an unsupported grant type."""
    if not any(body.get("grant_type", [])):
        raise InvalidRequest("grant_type is required")


def check_form(*, content_type: str, body: dict[str, list[str]], query: dict[str, list[str]]):
    """The ordered checks of a form POST to the token, introspection or revocation endpoint."""
    check_no_query(query)
    check_form_content_type(content_type)
    check_not_repeated(body)
    check_lengths(body)
