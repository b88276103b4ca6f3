"""The authorization code grant at the token endpoint (RFC 6749 §4.1.3), with and without
OpenID Connect: oauthlib's checks, in oauthlib's order, and the code spent once.

A code is claimed (its ``used_at`` set, atomically: of two exchanges exactly one wins) in the
statement that writes the family it starts (protocol/families.py ``start``): on PostgreSQL one
statement, without a transaction. An exchange refused once the code was found to be the
client's (a wrong verifier or redirect URI, an expired code, an ended session, a resource it
may not ask for) spends the code all the same, as the claim at the start of the exchange used
to; a refusal before that (another client's code, an unknown one, a PKCE downgrade) leaves it
to its rightful client. A code found spent is a replay: the family it started is revoked
(RFC 6749 §4.1.2).
"""

import json

from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant
from oauthlib.openid.connect.core.grant_types import (
    AuthorizationCodeGrant as OpenIDAuthorizationCodeGrant,
)


class CodeGrant(AuthorizationCodeGrant):
    def create_token_response(self, request, token_handler):
        """oauthlib's answer, with a refusal at any step spending the code it named (the
        validator's ``spend_code``)."""
        headers = self._get_default_headers()
        try:
            self.validate_token_request(request)
            token = token_handler.create_token(request, refresh_token=self.refresh_token)
            for modifier in self._token_modifiers:
                token = modifier(token, token_handler, request)
            self.request_validator.save_token(token, request)
        except OAuth2Error as error:
            self.request_validator.spend_code(request)
            headers.update(error.headers)
            return headers, error.json, error.status_code
        self.request_validator.invalidate_authorization_code(
            request.client_id, request.code, request
        )
        headers.update(self._create_cors_headers(request))
        return headers, json.dumps(token), 200


class OpenIDCodeGrant(OpenIDAuthorizationCodeGrant):
    """oauthlib's OpenID code grant (an ID token beside the tokens) over ``CodeGrant``."""

    def __init__(self, request_validator=None, **kwargs):
        self.proxy_target = CodeGrant(request_validator=request_validator, **kwargs)
        self.custom_validators.post_auth.append(self.openid_authorization_validator)
        self.register_token_modifier(self.add_id_token)
