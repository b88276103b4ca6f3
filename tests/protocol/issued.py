"""Tokens of a user's grant, minted by the provider's own token functions and stored as the
validator stores them, for endpoints that need a user's (refresh) token without a browser."""

import hashlib
import json
import secrets
import time
import uuid

from django.utils import timezone
from jwcrypto import jwk, jwt
from oauthlib.common import Request

from accounts.models import ClientScope, UserSession
from authserver.protocol import tokens
from authserver.protocol.backend import REALM
from authserver.protocol.client_assertion import ASSERTION_TYPE
from authserver.protocol.validator import RealmValidator
from tests.factories import make_client
from tests.protocol.helpers import SECRET, basic, endpoint, post_form


def make_session(user) -> UserSession:
    now = timezone.now()
    return UserSession.objects.create(
        realm=user.realm,
        user=user,
        key_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        started=now,
        last_seen=now,
    )


def issue_grant(client, user, *, scopes=("openid",), session=None, cnf=None) -> tuple[str, str]:
    """An access token and a refresh token of one grant (one family), as the token endpoint
    issues them after an authorization code; offline when ``offline_access`` is asked for;
    bound to what ``cnf`` says (RFC 8705 §3.1)."""
    realm = client.realm
    request = Request("https://authserver.test/token", headers={REALM: realm})
    request.client = client
    request.user = user
    request.grant_type = "authorization_code"
    request.scopes = list(scopes)
    request.sso_session = session
    request.token_family = uuid.uuid4()
    if cnf is not None:
        request.cnf = cnf
    access = tokens.access_token(request)
    refresh = tokens.refresh_token(request)
    # The family's row the validator writes after a code exchange, written by the validator.
    RealmValidator()._create_refresh_token(request, refresh, None, None)
    return access, refresh


def service_token(http, realm, client_id="machine", secret=SECRET, **form) -> str:
    """An access token of the client's service account, from the token endpoint."""
    response = post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", **form},
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def grant_scopes(client, *names) -> None:
    """Make realm client scopes (built-in ones included) default scopes of ``client``."""
    client.default_client_scopes.add(
        *ClientScope.objects.filter(realm=client.realm, name__in=names)
    )


def client_with_key(realm, client_id="machine"):
    """A confidential client authenticating with private_key_jwt; returns its private key."""
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    key_set = {"keys": [{**key.export_public(as_dict=True), "kid": "k1", "alg": "ES256"}]}
    make_client(realm, client_id, secret=SECRET, attributes={"jwks.string": json.dumps(key_set)})
    return key


def client_assertion(key, realm, client_id="machine") -> dict:
    """The form parameters of private_key_jwt (RFC 7523 §2.2), the issuer as audience."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": realm.issuer,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    signed = jwt.JWT(header={"alg": "ES256", "kid": "k1"}, claims=claims)
    signed.make_signed_token(key)
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": signed.serialize()}
