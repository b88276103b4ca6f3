"""django-oauth-toolkit's bridge to oauthlib, told which realm (and SSO session) a request is for.

The values travel in the oauthlib request's headers under names no HTTP header can take (the
client's headers arrive in ``request.META`` as ``HTTP_*``), so a client cannot forge them.
"""

from oauth2_provider.oauth2_backends import OAuthLibCore

from accounts.ratelimit import client_ip

REALM = "Authserver-Realm"
SESSION = "Authserver-Session"
# The client's address, as the rate limits see it (behind a trusted proxy, the forwarded one).
ADDRESS = "Authserver-Address"


class RealmOAuthLibCore(OAuthLibCore):
    def extract_headers(self, request):
        headers = super().extract_headers(request)
        for name in (REALM, SESSION, ADDRESS):
            headers.pop(name, None)
        headers[REALM] = request.realm
        headers[SESSION] = getattr(request, "sso_session", None)
        headers[ADDRESS] = client_ip(request)
        return headers
