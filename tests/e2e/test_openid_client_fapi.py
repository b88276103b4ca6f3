"""openid-client (npm, pinned), unchanged, as a FAPI 2.0 client: a realm whose client policy
applies the FAPI 2.0 Security Profile (DPoP variant), PS256 signatures, private_key_jwt, a pushed
authorization request with PKCE S256, DPoP-bound access and refresh tokens, UserInfo with a
proof."""

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from jwcrypto import jwk, jwt

from tests.e2e import npm
from tests.e2e.test_relying_party_library import sign_in_like_a_browser

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "openid-client@6.9.1"
SCRIPT = Path(__file__).with_name("openid_client_fapi.mjs")
# Never fetched: the browser's last redirect is read, not followed (FAPI wants https here).
REDIRECT_URI = "https://bank-app.example/callback"


@pytest.fixture(scope="session")
def openid_client_fapi(tmp_path_factory):
    node, _ = npm.tools()
    return node, npm.install(tmp_path_factory, PACKAGE, SCRIPT) / SCRIPT.name


def test_openid_client_completes_the_fapi_2_profile(demo_setup, openid_client_fapi, client):
    realm, web, user = demo_setup
    realm.default_signature_algorithm = "PS256"
    realm.client_policies = {
        "policies": [
            {
                "name": "fapi",
                "enabled": True,
                "conditions": [{"condition": "any-client"}],
                "profiles": ["fapi-2-dpop-security-profile"],
            }
        ]
    }
    realm.save()
    key = jwk.JWK.generate(kty="EC", crv="P-256", kid="k1", alg="ES256")
    web.consent_required = False
    web.redirect_uris = REDIRECT_URI
    web.attributes = {
        **web.attributes,
        "jwks.string": json.dumps({"keys": [json.loads(key.export_public())]}),
    }
    web.save()
    node, script = openid_client_fapi
    party = subprocess.Popen(
        [node, str(script)],
        env={
            **os.environ,
            "ISSUER": realm.issuer,
            "CLIENT_ID": web.client_id,
            "CLIENT_KEY": key.export_private(),
            "SIGNING_ALG": "PS256",
            "REDIRECT_URI": REDIRECT_URI,
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        built = json.loads(party.stdout.readline() or "{}")
        assert built, party.stderr.read()
        assert set(parse_qs(urlsplit(built["url"]).query)) == {"client_id", "request_uri"}
        callback = sign_in_like_a_browser(built["url"], REDIRECT_URI)
        out, err = party.communicate(callback + "\n", timeout=60)
    finally:
        party.kill()
    assert party.returncode == 0, err
    got = json.loads(out)
    assert got["tokenType"].lower() == "dpop" and got["refreshedType"].lower() == "dpop"
    assert got["claims"]["sub"] == got["userinfo"]["sub"] == str(user.subject)
    keys = jwk.JWKSet.from_json(
        client.get(f"/realms/{realm.name}/protocol/openid-connect/certs").content
    )
    for token in (got["accessToken"], got["refreshedAccessToken"]):
        parsed = jwt.JWT(jwt=token, key=keys, algs=["PS256"], expected_type="JWS")
        assert json.loads(parsed.header)["alg"] == "PS256"
        assert "jkt" in json.loads(parsed.claims)["cnf"]
