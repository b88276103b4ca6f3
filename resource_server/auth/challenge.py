"""The ``WWW-Authenticate: Bearer`` challenge (RFC 6750 §3) and the Authorization header."""

import re

from resource_server.auth.errors import BearerError, InsufficientScope, InvalidRequest

# RFC 6750 §3: error_description and scope values are limited to these characters
# (%x20-21 / %x23-5B / %x5D-7E: printable ASCII without the double quote and the backslash).
_UNSAFE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


def www_authenticate(error: BearerError, *, realm: str) -> str:
    """The challenge for ``error``: only ``realm`` for a request without a token (§3: no error
    code then), else the error, its description and, for insufficient_scope, the scope."""
    attributes = [("realm", realm)]
    if error.code:
        attributes.append(("error", error.code))
        if error.description:
            attributes.append(("error_description", error.description))
    if isinstance(error, InsufficientScope):
        attributes.append(("scope", error.scope))
    return "Bearer " + ", ".join(f'{name}="{_UNSAFE.sub("", value)}"' for name, value in attributes)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header (RFC 6750 §2.1), None when there is no
    such header; InvalidRequest when it says Bearer but is malformed. The scheme is
    case-insensitive (RFC 9110 §11.1); another scheme (Basic) means no bearer token."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    # RFC 6750 §2.1 b64token: one token, no spaces.
    if not token or " " in token:
        raise InvalidRequest("malformed Authorization header")
    return token
