"""The access token a request presents to one of our resources (UserInfo, the account API):
as a bearer token, or bound to a DPoP key with its proof, over the connection of the certificate
it may be bound to (protocol/presentation.py)."""

from authserver.protocol import dpop, presentation
from authserver.protocol.bearer import Bearer


def holder(request, *, url: str, form_values: list[str] | None = None) -> Bearer | None:
    """The live token the request presents to ``url`` of ``request.realm`` (None: it presents
    none), its client then the request's for CORS; an OAuthError when it is refused."""
    given = presentation.presented(
        authorization=request.headers.get("Authorization"), form_values=form_values or []
    )
    if given.token is None:
        return None
    found = presentation.holder(
        request.realm,
        given,
        proof=request.headers.get(dpop.HEADER),
        method=request.method,
        url=url,
        environ=request.META,
    )
    request.cors_client = found.client
    return found


def scheme(request) -> str:
    """The scheme to answer a refusal in: the one the request tried."""
    return presentation.scheme_of(request.headers.get("Authorization"))
