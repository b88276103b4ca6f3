"""The device code grant (RFC 8628 §3.4) with OpenID Connect: an ID token beside the access
token when ``openid`` was granted, as Keycloak gives one. oauthlib's grant answers without
running token modifiers, so this one runs them, as its other grants do."""

import json

from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant
from oauthlib.openid.connect.core.grant_types.base import GrantTypeBase as OpenIDGrantTypeBase


class _DeviceCodeGrant(DeviceCodeGrant):
    def create_token_response(self, request, token_handler):
        headers = self._get_default_headers()
        try:
            self.validate_token_request(request)
        except OAuth2Error as error:
            headers.update(error.headers)
            return headers, error.json, error.status_code
        token = token_handler.create_token(request, self.refresh_token)
        for modifier in self._token_modifiers:
            token = modifier(token, token_handler, request)
        self.request_validator.save_token(token, request)
        return headers, json.dumps(token), 200


class OpenIDDeviceCodeGrant(OpenIDGrantTypeBase):
    def __init__(self, request_validator=None, **kwargs):
        self.proxy_target = _DeviceCodeGrant(request_validator=request_validator, **kwargs)
        self.register_token_modifier(self.add_id_token)
