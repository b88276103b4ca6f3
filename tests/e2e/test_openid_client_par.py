"""openid-client (npm, pinned) builds its authorization URL with a pushed authorization request
(RFC 9126), the browser carries only the reference, and the library exchanges the code."""

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e import npm
from tests.e2e.conftest import CLIENT_SECRET
from tests.e2e.test_relying_party_library import sign_in_like_a_browser

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "openid-client@6.9.1"
SCRIPT = Path(__file__).with_name("openid_client_par.mjs")


@pytest.fixture(scope="session")
def openid_client_par(tmp_path_factory):
    node, _ = npm.tools()
    return node, npm.install(tmp_path_factory, PACKAGE, SCRIPT) / SCRIPT.name


def test_openid_client_signs_in_through_a_pushed_request(
    demo_setup, relying_party, openid_client_par
):
    realm, client, user = demo_setup
    client.consent_required = False
    client.attributes = {**client.attributes, "require.pushed.authorization.requests": "true"}
    client.save()
    node, script = openid_client_par
    party = subprocess.Popen(
        [node, str(script)],
        env={
            **os.environ,
            "ISSUER": realm.issuer,
            "CLIENT_ID": client.client_id,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URI": relying_party.redirect_uri,
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        built = json.loads(party.stdout.readline() or "{}")
        assert built, party.stderr.read()
        query = parse_qs(urlsplit(built["url"]).query)
        # Only the reference travels through the browser.
        assert set(query) == {"client_id", "request_uri"}
        callback = sign_in_like_a_browser(built["url"], relying_party.redirect_uri)
        out, err = party.communicate(callback + "\n", timeout=60)
    finally:
        party.kill()
    assert party.returncode == 0, err
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["claims"]["sub"] == str(user.subject)
    assert seen["claims"]["iss"] == realm.issuer
