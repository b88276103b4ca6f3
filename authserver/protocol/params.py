"""Checks every token-style endpoint applies to its form parameters before oauthlib sees them.

Plain values in, typed errors out (RFC 6749 §3.1, §3.2: parameters sent without a value are
treated as omitted; request and response parameters MUST NOT be included more than once).
"""

from authserver.protocol.errors import InvalidRequest

MAX_VALUE_LENGTH = 8192
# The parameters the protocol reads, by the specification that defines them. oauthlib hands every
# parameter it is given back as an attribute of its request, where the server also keeps values
# of its own (a token's audience, its family, a rate-limit mark): a parameter the client names
# after one of those would stand in for it whenever the server has not set it. Only these reach
# oauthlib; the others are ignored, as RFC 6749 §3.1 and §3.2 ask of unrecognised parameters.
PROTOCOL_PARAMETERS = frozenset(
    {
        # RFC 6749
        "grant_type", "code", "redirect_uri", "client_id", "client_secret", "refresh_token",
        "scope", "state", "response_type", "username", "password",
        # RFC 7636 (PKCE)
        "code_verifier", "code_challenge", "code_challenge_method",
        # RFC 7521, RFC 7523 (client assertions)
        "client_assertion", "client_assertion_type",
        # RFC 7009, RFC 7662 (revocation, introspection)
        "token", "token_type_hint",
        # RFC 8628 (device grant)
        "device_code",
        # RFC 8693 (token exchange)
        "subject_token", "subject_token_type", "actor_token", "actor_token_type",
        "requested_token_type", "audience",
        # RFC 8707 (resource indicators)
        "resource",
        # OpenID Connect Core §3.1.2.1, §5.5
        "nonce", "response_mode", "display", "prompt", "max_age", "ui_locales", "claims_locales",
        "id_token_hint", "login_hint", "acr_values", "claims",
        # RFC 9101, RFC 9126 (request objects, pushed requests)
        "request", "request_uri",
        # RFC 9449 §10 (DPoP code binding)
        "dpop_jkt",
    }
)  # fmt: skip


def protocol_pairs(pairs):
    """``pairs`` (name, value) without the parameters the protocol does not read."""
    return [(name, value) for name, value in pairs if name in PROTOCOL_PARAMETERS]


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
