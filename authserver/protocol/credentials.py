"""Which client authentication method a request uses (RFC 6749 §2.3), read from its plain
Authorization header and form; every endpoint that authenticates clients asks the same way.
"""

from collections.abc import Mapping

from authserver.protocol.errors import InvalidRequest


def basic_credentials(authorization: str | None) -> str | None:
    """The credentials of an Authorization header of the Basic scheme (RFC 7617 §2), or None.

    The scheme name is case-insensitive (RFC 9110 §11.1): ``basic`` is Basic too.
    """
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    return credentials.strip(" ") or None


def methods(*, authorization: str | None, form: Mapping[str, str]) -> list[str]:
    """The authentication methods (discovery's names) this request's credentials use."""
    used = []
    if basic_credentials(authorization) is not None:
        used.append("client_secret_basic")
    if form.get("client_secret"):
        used.append("client_secret_post")
    if form.get("client_assertion") or form.get("client_assertion_type"):
        used.append("private_key_jwt")
    return used


def check_one_method(*, authorization: str | None, form: Mapping[str, str]) -> None:
    """RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
    request." Otherwise a wrong secret in one place could be saved by a right one in another."""
    used = methods(authorization=authorization, form=form)
    if len(used) > 1:
        raise InvalidRequest(
            "use one client authentication method per request", detail=" and ".join(used)
        )
