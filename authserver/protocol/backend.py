"""django-oauth-toolkit's bridge to oauthlib, told which realm (and SSO session) a request is for.

The values travel in the oauthlib request's headers under names no HTTP header can take (the
client's headers arrive in ``request.META`` as ``HTTP_*``), so a client cannot forge them.
"""

from urllib.parse import urlencode

from oauth2_provider.oauth2_backends import OAuthLibCore

from accounts.addresses import client_ip
from authserver.protocol import certificates, params

REALM = "Authserver-Realm"
SESSION = "Authserver-Session"
# The client's address, as the rate limits see it (behind a trusted proxy, the forwarded one).
ADDRESS = "Authserver-Address"
# The request's connection, whose TLS client certificate is looked for when a client needs one
# (protocol/certificates.py): nothing is read for a request that does not.
CONNECTION = "Authserver-Connection"


# Of the WSGI environ that django-oauth-toolkit passes on whole, what oauthlib and the validator
# read besides the HTTP headers (HTTP_*): oauthlib copies and converts every entry it is given.
_KEPT = {
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "REMOTE_ADDR",
    # Added by django-oauth-toolkit.
    "Authorization",
    "Content-Type",
    "Origin",
    "X_DJANGO_OAUTH_TOOLKIT_SECURE",
}


class RealmOAuthLibCore(OAuthLibCore):
    def extract_headers(self, request):
        headers = {
            name: value
            for name, value in super().extract_headers(request).items()
            if name.startswith("HTTP_") or name in _KEPT
        }
        for name in (REALM, SESSION, ADDRESS, CONNECTION):
            headers.pop(name, None)
        headers[REALM] = request.realm
        headers[SESSION] = getattr(request, "sso_session", None)
        headers[ADDRESS] = client_ip(request)
        headers[CONNECTION] = certificates.Connection(request.META)
        return headers

    def _extract_params(self, request):
        """RFC 9126 §4, RFC 9101 §5: for a pushed request or a request object, its parameters
        are the request's, and nothing the browser sent besides (the authorization endpoint
        sets them).

        The body goes to oauthlib as the pairs Django already parsed, where django-oauth-toolkit
        encodes them again for oauthlib to decode. oauthlib makes a dict of such pairs, so a
        body with a repeated name (RFC 8707's ``resource``) still goes encoded."""
        headers = self.extract_headers(request)
        given = getattr(request, "authorization_params", None)
        if given is not None:
            pairs = [(name, value) for name, values in given.items() for value in values]
            body = []
        else:
            pairs = [(name, value) for name, values in request.GET.lists() for value in values]
            body = self.extract_body(request)
            if len({name for name, _ in body}) < len(body):
                body = urlencode(body)
        query = urlencode(params.protocol_pairs(pairs))
        return f"{request.path}?{query}" if query else request.path, request.method, body, headers

    def extract_body(self, request):
        """RFC 6749 §3.1, §3.2: parameters sent without a value are treated as omitted (an empty
        ``code`` is a missing one, not an unknown one), and unrecognised ones are ignored
        (params.PROTOCOL_PARAMETERS: none of them reaches oauthlib)."""
        pairs = [(name, value) for name, value in super().extract_body(request) if value != ""]
        return params.protocol_pairs(pairs)
