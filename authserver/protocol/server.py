"""The oauthlib server we run: only what we support, each grant looked up by its type."""

from oauthlib.oauth2.rfc6749.endpoints import (
    AuthorizationEndpoint,
    IntrospectEndpoint,
    ResourceEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749.grant_types import (
    ClientCredentialsGrant,
    ResourceOwnerPasswordCredentialsGrant,
)
from oauthlib.oauth2.rfc6749.tokens import BearerToken
from oauthlib.openid.connect.core.endpoints.userinfo import UserInfoEndpoint
from oauthlib.openid.connect.core.grant_types import RefreshTokenGrant
from oauthlib.openid.connect.core.grant_types.dispatchers import (
    AuthorizationCodeGrantDispatcher,
    AuthorizationTokenGrantDispatcher,
)

from authserver.protocol import device, lifetimes, token_exchange, tokens
from authserver.protocol.grants import password
from authserver.protocol.grants.authorization_code import CodeGrant, OpenIDCodeGrant
from authserver.protocol.grants.device_code import OpenIDDeviceCodeGrant
from authserver.protocol.grants.token_exchange import OpenIDTokenExchangeGrant

# RFC 7636 §4.2: "plain" gives no protection against a stolen code; only S256 is accepted.
_PKCE_METHODS = {"S256"}


def _only_s256(grant):
    grant._code_challenge_methods = {
        name: check
        for name, check in grant._code_challenge_methods.items()
        if name in _PKCE_METHODS
    }
    return grant


class Server(
    AuthorizationEndpoint,
    IntrospectEndpoint,
    TokenEndpoint,
    ResourceEndpoint,
    RevocationEndpoint,
    UserInfoEndpoint,
):
    """Authorization code (+PKCE S256, with or without OpenID), refresh, client credentials,
    token exchange (RFC 8693) and, for the clients that turn it on, the password grant.

    Token lifetimes come from the request's realm; access and refresh tokens are our JWTs.
    """

    def __init__(self, request_validator, *args, **kwargs):
        code = _only_s256(CodeGrant(request_validator))
        oidc_code = OpenIDCodeGrant(request_validator)
        _only_s256(oidc_code.proxy_target)
        refresh = RefreshTokenGrant(request_validator)
        credentials = ClientCredentialsGrant(request_validator)
        exchange = OpenIDTokenExchangeGrant(request_validator)
        # Only for clients that turn it on (grants/password.py).
        resource_owner = ResourceOwnerPasswordCredentialsGrant(
            request_validator, post_token=[password.start_session]
        )
        self.bearer = BearerToken(
            request_validator,
            token_generator=tokens.access_token,
            expires_in=lifetimes.access_token_seconds,
            refresh_token_generator=tokens.refresh_token,
        )
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={
                "code": AuthorizationCodeGrantDispatcher(default_grant=code, oidc_grant=oidc_code)
            },
            default_token_type=self.bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": AuthorizationTokenGrantDispatcher(
                    request_validator, default_grant=code, oidc_grant=oidc_code
                ),
                "refresh_token": refresh,
                "client_credentials": credentials,
                token_exchange.GRANT_TYPE: exchange,
                password.GRANT_TYPE: resource_owner,
                device.GRANT_TYPE: OpenIDDeviceCodeGrant(request_validator),
            },
            default_token_type=self.bearer,
        )
        ResourceEndpoint.__init__(self, default_token="Bearer", token_types={"Bearer": self.bearer})
        RevocationEndpoint.__init__(self, request_validator)
        IntrospectEndpoint.__init__(self, request_validator)
        UserInfoEndpoint.__init__(self, request_validator)
