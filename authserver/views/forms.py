"""The form of a token-style POST (introspection, revocation), checked before anything reads it."""

from django.core.exceptions import RequestDataTooBig

from authserver.protocol import params
from authserver.protocol.errors import InvalidRequest


def checked_form(request) -> dict[str, str]:
    """One value per parameter, after params.check_form; parameters sent without a value are
    omitted (RFC 6749 §3.1). Raises InvalidRequest."""
    # The content type first: Django parses a multipart body on access and may fail doing so.
    params.check_form_content_type(request.content_type or "")
    try:
        body = dict(request.POST.lists())
    except RequestDataTooBig:
        raise InvalidRequest("the request body is too large") from None
    params.check_form(
        content_type=request.content_type or "", body=body, query=dict(request.GET.lists())
    )
    return {name: values[-1] for name, values in body.items() if values and values[-1]}
