"""openid-client (npm, pinned; panva's certified relying-party library) registers a client
through discovery and dynamic registration (RFC 7591), then uses the credentials it was given."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import requests
from jwcrypto import jwk, jwt

from authserver.models import Client
from tests.e2e import npm
from tests.factories import make_realm
from tests.registration.helpers import initial_token, open_registration

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "openid-client@6.9.1"
SCRIPT = Path(__file__).with_name("openid_client_registration.mjs")


@pytest.fixture(scope="session")
def openid_client(tmp_path_factory):
    node, _ = npm.tools()
    return node, npm.install(tmp_path_factory, PACKAGE, SCRIPT) / SCRIPT.name


def test_openid_client_registers_and_gets_a_token(issuer_server, openid_client):
    realm = make_realm("dcr")
    open_registration(realm)
    node, script = openid_client
    run = subprocess.run(
        [node, str(script)],
        env={
            **os.environ,
            "ISSUER": realm.issuer,
            "INITIAL_ACCESS_TOKEN": initial_token(realm, count=1),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["method"] == "client_secret_post"
    assert seen["tokenType"].lower() == "bearer"
    assert Client.objects.get(realm=realm, client_id=seen["clientId"]).name == "openid-client"
    keys = requests.get(f"{realm.issuer}/protocol/openid-connect/certs", timeout=10).text
    token = jwt.JWT(jwt=seen["accessToken"], key=jwk.JWKSet.from_json(keys))
    claims = json.loads(token.claims)
    assert (claims["azp"], claims["iss"]) == (seen["clientId"], realm.issuer)
