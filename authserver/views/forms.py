"""The form of a token-style POST (introspection, revocation, PAR, device authorization),
checked before anything reads it."""

from django.core.exceptions import RequestDataTooBig

from authserver.protocol import client_auth, params
from authserver.protocol.errors import InvalidClient, InvalidRequest, OAuthError
from authserver.views import responses


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


def from_client(request, answer):
    """A POST of a client to an endpoint beside the token endpoint (PAR, device authorization):
    the form checked, the client identified as the token endpoint identifies it (a public one
    by ``client_id``), then ``answer(client, form)``; RFC 6749 §5.2 JSON errors otherwise."""
    if request.method != "POST":
        return responses.method_not_allowed(["POST"])
    authorization = request.headers.get("Authorization")
    try:
        form = checked_form(request)
        client = client_auth.identify(
            request.realm, authorization=authorization, form=form, environ=request.META
        )
        return answer(client, form)
    except InvalidClient as error:
        return responses.oauth_error(error, basic_auth_used=bool(authorization))
    except OAuthError as error:
        return responses.oauth_error(error)
