"""An independent, widely used RP library (Authlib) as the client: discovery, code + PKCE,
ID-token validation and refresh. Proof that a client we did not write accepts our tokens."""

import re
import secrets
from urllib.parse import urljoin

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey
from authlib.jose import jwt as authlib_jwt
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata

from tests.e2e.conftest import CLIENT_SECRET, PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_like_a_browser(authorization_url: str, redirect_uri: str) -> str:
    """Follow the login as a browser would; return the URL the server sends it back to."""
    browser = requests.Session()
    response = browser.get(authorization_url, timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
    next_url = re.search(r'name="next" value="([^"]+)"', response.text).group(1)
    response = browser.post(
        response.url,
        data={
            "csrfmiddlewaretoken": csrf,
            "username": "alice",
            "password": PASSWORD,
            "next": next_url.replace("&amp;", "&"),
        },
        headers={"Referer": response.url},
        allow_redirects=False,
        timeout=10,
    )
    while response.status_code in (301, 302, 303):
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(redirect_uri):
            return location
        response = browser.get(location, allow_redirects=False, timeout=10)
    raise AssertionError(f"no redirect back to the client: {response.status_code} {response.text}")


def test_authlib_discovers_logs_in_validates_and_refreshes(
    demo_setup, issuer_server, relying_party
):
    realm, client, user = demo_setup
    redirect_uri = relying_party.redirect_uri
    client.consent_required = False
    client.save()
    issuer = realm.issuer

    metadata = OpenIDProviderMetadata(
        requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    )
    metadata.validate()
    assert metadata["issuer"] == issuer
    rfc8414 = requests.get(
        f"{issuer_server.url}/.well-known/oauth-authorization-server/realms/{realm.name}",
        timeout=10,
    ).json()
    AuthorizationServerMetadata(rfc8414).validate()

    session = OAuth2Session(
        "web",
        CLIENT_SECRET,
        scope="openid profile email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    authorization_url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = sign_in_like_a_browser(authorization_url, redirect_uri)
    token = session.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        code_verifier=verifier,
        state=state,
    )
    assert token["token_type"].lower() == "bearer"

    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = authlib_jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "values": [issuer]}},
        claims_params={"nonce": nonce, "client_id": "web", "access_token": token["access_token"]},
    )
    claims.validate()
    assert claims["sub"] == str(user.subject)
    assert claims["email"] == "alice@example.com"

    refreshed = session.refresh_token(
        metadata["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != token["refresh_token"]

    info = session.get(metadata["userinfo_endpoint"], timeout=10)
    assert info.status_code == 200
    assert info.json()["sub"] == str(user.subject)
