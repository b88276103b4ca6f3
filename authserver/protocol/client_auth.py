"""Client authentication for the endpoints oauthlib does not drive (RFC 6749 §2.3, RFC 7662 §2.1),
through the one validator, so that every endpoint accepts the same methods, in the same realm.
"""

from oauthlib.common import Request

from accounts.models import Realm
from authserver.models import Client
from authserver.protocol import credentials
from authserver.protocol.backend import REALM
from authserver.protocol.errors import InvalidClient
from authserver.protocol.validator import RealmValidator


def authenticate(realm: Realm, *, authorization: str | None, form: dict[str, str]) -> Client:
    """The realm's confidential client that authenticated with this request's credentials
    (client_secret_basic, client_secret_post, private_key_jwt); InvalidClient otherwise.

    A public client has no credentials, so it cannot authenticate here. Credentials of two
    methods at once are InvalidRequest (RFC 6749 §2.3).
    """
    credentials.check_one_method(authorization=authorization, form=form)
    request = Request(
        "",
        http_method="POST",
        body=form,
        headers={"HTTP_AUTHORIZATION": authorization or "", REALM: realm},
    )
    if not RealmValidator().authenticate_client(request) or request.client is None:
        raise InvalidClient("client authentication failed")
    return request.client
