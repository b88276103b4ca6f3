"""openid-client (npm, pinned) with DPoP (RFC 9449): its DPoP handle on the code exchange, the
refresh and UserInfo, for a client that requires DPoP and nonces (the library answers
use_dpop_nonce by itself); the code bound by dpop_jkt, or by the proof of a pushed request.
Tokens verified here against the JWKS."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import requests
from jwcrypto import jwk, jwt

from authserver.models import Client
from tests.e2e import npm
from tests.e2e.conftest import CLIENT_SECRET
from tests.e2e.test_relying_party_library import sign_in_like_a_browser
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "openid-client@6.9.1"
SCRIPT = Path(__file__).with_name("openid_client_dpop.mjs")
DPOP = {"dpop.bound.access.tokens": "true", "dpop.nonce.required": "true"}


@pytest.fixture(scope="session")
def openid_client_dpop(tmp_path_factory):
    node, _ = npm.tools()
    return node, npm.install(tmp_path_factory, PACKAGE, SCRIPT) / SCRIPT.name


def run(script, realm, client_id, redirect_uri, secret="") -> dict:
    node, path = script
    party = subprocess.Popen(
        [node, str(path)],
        env={
            **os.environ,
            "ISSUER": realm.issuer,
            "CLIENT_ID": client_id,
            "CLIENT_SECRET": secret,
            "REDIRECT_URI": redirect_uri,
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        built = json.loads(party.stdout.readline() or "{}")
        assert built, party.stderr.read()
        callback = sign_in_like_a_browser(built["url"], redirect_uri)
        out, err = party.communicate(callback + "\n", timeout=60)
    finally:
        party.kill()
    assert party.returncode == 0, err
    return {"url": built["url"], **json.loads(out.strip().splitlines()[-1])}


def claims_of(realm, token: str) -> dict:
    keys = jwk.JWKSet.from_json(
        requests.get(f"{realm.issuer}/protocol/openid-connect/certs", timeout=10).text
    )
    return json.loads(jwt.JWT(jwt=token, key=keys).claims)


def test_openid_client_binds_its_tokens_with_its_dpop_handle(
    demo_setup, relying_party, openid_client_dpop
):
    realm, _, user = demo_setup
    spa = make_client(
        realm,
        "spa",
        secret="",
        client_type=Client.CLIENT_PUBLIC,
        redirect_uris=relying_party.redirect_uri,
        attributes=DPOP,
    )
    spa.default_client_scopes.add(*realm.client_scopes.filter(name__in=["openid", "email"]))

    seen = run(openid_client_dpop, realm, "spa", relying_party.redirect_uri)

    assert f"dpop_jkt={seen['jkt']}" in seen["url"]
    assert seen["tokenType"] == seen["refreshedTokenType"] == "dpop"
    assert claims_of(realm, seen["accessToken"])["cnf"] == {"jkt": seen["jkt"]}
    assert claims_of(realm, seen["refreshedAccessToken"])["cnf"] == {"jkt": seen["jkt"]}
    assert seen["userinfo"]["sub"] == str(user.subject)
    assert seen["userinfo"]["email"] == "alice@example.com"
    # Presented as a bearer token, the bound token is refused.
    assert seen["asBearer"]["status"] == 401
    assert 'error="invalid_token"' in seen["asBearer"]["challenge"]


def test_openid_client_binds_the_code_of_its_pushed_request(
    demo_setup, relying_party, openid_client_dpop
):
    realm, web, user = demo_setup
    web.consent_required = False
    web.attributes = {**web.attributes, **DPOP}
    web.save()
    web.default_client_scopes.add(realm.client_scopes.get(name="openid"))

    seen = run(openid_client_dpop, realm, "web", relying_party.redirect_uri, CLIENT_SECRET)

    assert "request_uri=" in seen["url"]
    access = claims_of(realm, seen["accessToken"])
    assert access["cnf"] == {"jkt": seen["jkt"]}
    assert access["sub"] == str(user.subject)
    assert seen["refreshedTokenType"] == "dpop"
