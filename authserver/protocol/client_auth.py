"""Client authentication for the endpoints oauthlib does not drive (RFC 6749 §2.3, RFC 7662 §2.1),
through the one validator, so that every endpoint accepts the same methods, in the same realm.
"""

from oauthlib.common import Request

from accounts.models import Realm
from authserver.models import Client
from authserver.protocol import certificates, credentials, directory
from authserver.protocol.backend import CONNECTION, REALM
from authserver.protocol.errors import InvalidClient
from authserver.protocol.validator import RealmValidator

_CREDENTIALS = frozenset(
    {"client_id", "client_secret", "client_assertion", "client_assertion_type"}
)


def authenticate(
    realm: Realm, *, authorization: str | None, form: dict[str, str], environ
) -> Client:
    """The realm's confidential client that authenticated with this request's credentials
    (client_secret_basic, client_secret_post, private_key_jwt, or its TLS certificate, RFC 8705
    §2, found in the WSGI ``environ``); InvalidClient otherwise.

    A public client has no credentials, so it cannot authenticate here. Credentials of two
    methods at once are InvalidRequest (RFC 6749 §2.3).
    """
    credentials.check_one_method(authorization=authorization, form=form)
    request = Request(
        "",
        http_method="POST",
        # The credentials only: anything else (a grant_type) is not this request's to act on.
        body={name: value for name, value in form.items() if name in _CREDENTIALS},
        headers={
            "HTTP_AUTHORIZATION": authorization or "",
            REALM: realm,
            CONNECTION: certificates.Connection(environ),
        },
    )
    if not RealmValidator().authenticate_client(request) or request.client is None:
        raise InvalidClient("client authentication failed")
    return request.client


def identify(realm: Realm, *, authorization: str | None, form: dict[str, str], environ) -> Client:
    """The client of this request: a public client named by ``client_id`` alone and sending no
    credentials (RFC 6749 §2.1: it has none), else a confidential one that authenticated
    (``authenticate``; a client of RFC 8705 names itself the same way, and its certificate is
    its credential). As the token endpoint does for public clients."""
    sends_credentials = credentials.methods(authorization=authorization, form=form)
    client_id = form.get("client_id")
    if not sends_credentials and client_id:
        client = directory.client(realm, client_id)
        if client is not None and client.is_public:
            return client
        if client is None or not client.accepts_certificate:
            raise InvalidClient(
                "client authentication failed", detail=f"no public client {client_id!r}"
            )
    return authenticate(realm, authorization=authorization, form=form, environ=environ)
