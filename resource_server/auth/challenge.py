"""The ``WWW-Authenticate`` challenges (RFC 6750 §3, RFC 9449 §7.1) and the Authorization header."""

import re

from resource_server.auth.dpop import ALGORITHMS
from resource_server.auth.errors import BearerError, InsufficientScope, InvalidRequest

DPOP = "DPoP"
_ALGS = ("algs", " ".join(ALGORITHMS))

# RFC 6750 §3: error_description and scope values are limited to these characters
# (%x20-21 / %x23-5B / %x5D-7E: printable ASCII without the double quote and the backslash).
_UNSAFE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


def www_authenticate(
    error: BearerError, *, realm: str, scheme: str = "Bearer", offer_dpop: bool = False
) -> str:
    """The challenge for ``error``: only ``realm`` for a request without a token (§3: no error
    code then; with ``offer_dpop``, a DPoP challenge beside the Bearer one, RFC 9449 §7.1),
    else the error in the ``scheme`` the request used, its description and, for
    insufficient_scope, the scope. A DPoP challenge names the proof algorithms (``algs``)."""
    if not error.code:
        challenges = [_challenge("Bearer", [("realm", realm)])]
        if offer_dpop:
            challenges.append(_challenge("DPoP", [("realm", realm), _ALGS]))
        return ", ".join(challenges)
    attributes = [("realm", realm), ("error", error.code)]
    if error.description:
        attributes.append(("error_description", error.description))
    if isinstance(error, InsufficientScope):
        attributes.append(("scope", error.scope))
    if scheme == DPOP:
        attributes.append(_ALGS)
    return _challenge(scheme, attributes)


def _challenge(scheme: str, attributes: list[tuple[str, str]]) -> str:
    quoted = [f'{name}="{_UNSAFE.sub("", value)}"' for name, value in attributes]
    return f"{scheme} " + ", ".join(quoted)


def scheme_of(authorization: str | None) -> str:
    """``DPoP`` for a request that used the DPoP scheme (RFC 9449 §7.1), else ``Bearer``."""
    if authorization and authorization.strip().partition(" ")[0].lower() == "dpop":
        return DPOP
    return "Bearer"


def dpop_token(authorization: str | None) -> str:
    """The token of an ``Authorization: DPoP`` header; InvalidRequest when it is malformed."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "dpop" or not token or " " in token:
        raise InvalidRequest("malformed Authorization header")
    return token


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
