"""python-keycloak's KeycloakOpenID, unchanged, against a live server: discovery, keys, the
code flow with PKCE, token validation with the realm's public key, userinfo, introspection,
refresh, token exchange and Keycloak's logout by refresh token."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from accounts.models import UserSession
from tests.e2e.conftest import CLIENT_SECRET
from tests.e2e.test_relying_party_library import sign_in_like_a_browser
from tests.factories import make_client, make_scope

pytestmark = pytest.mark.django_db(transaction=True)

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SERVICE_SECRET = "orders-service-secret-" + "s" * 30


def openid(issuer_server, realm, client_id="web", secret=CLIENT_SECRET) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=f"{issuer_server.url}/",
        realm_name=realm.name,
        client_id=client_id,
        client_secret_key=secret,
    )


def signed_in(keycloak: KeycloakOpenID, redirect_uri: str, scope: str) -> dict:
    """alice's tokens from the code flow with PKCE, as python-keycloak's calls make it."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    url = keycloak.auth_url(
        redirect_uri,
        scope=scope,
        state=secrets.token_urlsafe(12),
        nonce=secrets.token_urlsafe(12),
        code_challenge=challenge.decode().rstrip("="),
        code_challenge_method="S256",
    )
    callback = sign_in_like_a_browser(url, redirect_uri)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    return keycloak.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
    )


@pytest.fixture
def shop(demo_setup, issuer_server, relying_party):
    realm, client, user = demo_setup
    client.consent_required = False
    client.save()
    return realm, user


def test_keycloak_openid_signs_in_reads_refreshes_and_logs_out(shop, issuer_server, relying_party):
    realm, alice = shop
    keycloak = openid(issuer_server, realm)

    assert keycloak.well_known()["issuer"] == realm.issuer
    assert keycloak.certs()["keys"]
    tokens = signed_in(keycloak, relying_party.redirect_uri, "openid profile email")

    claims = keycloak.decode_token(tokens["access_token"])
    assert claims["iss"] == realm.issuer
    assert claims["preferred_username"] == "alice"
    assert claims["azp"] == "web"
    assert keycloak.decode_token(tokens["id_token"])["sub"] == str(alice.subject)
    assert keycloak.userinfo(tokens["access_token"])["email"] == "alice@example.com"
    assert keycloak.introspect(tokens["access_token"])["active"] is True

    refreshed = keycloak.refresh_token(tokens["refresh_token"])
    assert refreshed["access_token"] != tokens["access_token"]

    assert keycloak.logout(refreshed["refresh_token"]) == {}
    assert UserSession.objects.get(user=alice).ended is not None
    assert keycloak.introspect(refreshed["access_token"]) == {"active": False}
    with pytest.raises(KeycloakPostError) as refused:
        keycloak.refresh_token(refreshed["refresh_token"])
    assert refused.value.response_code == 400
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.userinfo(refreshed["access_token"])


def test_keycloak_openid_logout_errors_are_keycloaks(shop, issuer_server, relying_party):
    realm, alice = shop
    keycloak = openid(issuer_server, realm)
    tokens = signed_in(keycloak, relying_party.redirect_uri, "openid")
    make_client(realm, "other", secret=SERVICE_SECRET)

    with pytest.raises(KeycloakAuthenticationError) as wrong_secret:
        openid(issuer_server, realm, secret="wrong-" + "w" * 40).logout(tokens["refresh_token"])
    assert wrong_secret.value.response_code == 401
    assert b'"invalid_client"' in wrong_secret.value.response_body

    with pytest.raises(KeycloakPostError) as other_client:
        openid(issuer_server, realm, "other", SERVICE_SECRET).logout(tokens["refresh_token"])
    assert other_client.value.response_code == 400
    assert b'"invalid_grant"' in other_client.value.response_body

    assert UserSession.objects.get(user=alice).ended is None


def test_keycloak_openid_exchanges_a_token_with_scope_openid(shop, issuer_server, relying_party):
    """python-keycloak's exchange_token sends scope=openid by default."""
    realm, alice = shop
    service = make_client(
        realm,
        "orders-service",
        secret=SERVICE_SECRET,
        standard_flow_enabled=False,
        attributes={
            "token.exchange.audiences": "payments",
            "token.exchange.subject.audiences": "orders",
            "token.exchange.scopes": "payments:read=orders:read",
        },
    )
    service.default_client_scopes.add(make_scope(realm, "payments:read", audience="payments"))
    tokens = signed_in(
        openid(issuer_server, realm), relying_party.redirect_uri, "openid orders:read"
    )

    exchanged = openid(issuer_server, realm, "orders-service", SERVICE_SECRET).exchange_token(
        tokens["access_token"],
        audience="payments",
        subject_token_type=ACCESS_TOKEN_TYPE,
        requested_token_type=ACCESS_TOKEN_TYPE,
    )

    keycloak = openid(issuer_server, realm)
    claims = keycloak.decode_token(exchanged["access_token"])
    assert claims["aud"] == ["payments"]
    assert claims["sub"] == str(alice.subject)
    assert claims["act"]["client_id"] == "orders-service"
    assert keycloak.decode_token(exchanged["id_token"])["aud"] == "orders-service"
