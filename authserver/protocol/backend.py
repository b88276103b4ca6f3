"""django-oauth-toolkit's bridge to oauthlib, told which realm (and SSO session) a request is for.

The values travel in the oauthlib request's headers under names no HTTP header can take (the
client's headers arrive in ``request.META`` as ``HTTP_*``), so a client cannot forge them.
"""

from oauth2_provider.oauth2_backends import OAuthLibCore

REALM = "Authserver-Realm"
SESSION = "Authserver-Session"


class RealmOAuthLibCore(OAuthLibCore):
    def extract_headers(self, request):
        headers = super().extract_headers(request)
        headers.pop(REALM, None)
        headers.pop(SESSION, None)
        headers[REALM] = request.realm
        headers[SESSION] = getattr(request, "sso_session", None)
        return headers
