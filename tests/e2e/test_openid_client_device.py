"""openid-client (npm, pinned) through the device authorization grant (RFC 8628): the device
asks for codes and polls; a user signs in on the realm's device page, types the code and
allows; the device gets tokens its library accepts, verified here against the JWKS."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import requests
from jwcrypto import jwk, jwt

from accounts.models import User
from tests.e2e import npm
from tests.e2e.conftest import CLIENT_SECRET, PASSWORD
from tests.factories import make_client, make_realm, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "openid-client@6.9.1"
SCRIPT = Path(__file__).with_name("openid_client_device.mjs")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="session")
def openid_client(tmp_path_factory):
    node, _ = npm.tools()
    return node, npm.install(tmp_path_factory, PACKAGE, SCRIPT) / SCRIPT.name


def _csrf(page) -> str:
    return _CSRF.search(page.text).group(1)


def allow_on_the_device_page(uri: str, user_code: str, *, verify=True) -> str:
    """As the user does in a browser: sign in, type the code, allow; the last page's text.
    ``verify``: requests' TLS check (a CA file for a server with a certificate of its own)."""
    browser = requests.Session()
    browser.verify = verify
    # REQUESTS_CA_BUNDLE in the environment would otherwise win over the session's CA.
    browser.trust_env = verify is True
    login = browser.get(f"{uri}?user_code={user_code}", timeout=10)
    next_url = re.search(r'name="next" value="([^"]+)"', login.text).group(1)
    browser.post(
        login.url,
        data={
            "csrfmiddlewaretoken": _csrf(login),
            "username": "alice",
            "password": PASSWORD,
            "next": next_url.replace("&amp;", "&"),
        },
        headers={"Referer": login.url},
        timeout=10,
    )
    form = browser.get(uri, timeout=10)
    asked = browser.post(
        uri,
        data={"csrfmiddlewaretoken": _csrf(form), "user_code": user_code},
        headers={"Referer": uri},
        timeout=10,
    )
    assert asked.status_code == 200, asked.text
    done = browser.post(
        uri,
        data={"csrfmiddlewaretoken": _csrf(asked), "user_code": user_code, "decision": "allow"},
        headers={"Referer": uri},
        timeout=10,
    )
    assert done.status_code == 200, done.text
    return done.text


def test_openid_client_gets_tokens_through_the_device_grant(issuer_server, openid_client):
    realm = make_realm("living-room")
    make_client(
        realm,
        "tv",
        secret=CLIENT_SECRET,
        attributes={"oauth2.device.authorization.grant.enabled": "true"},
    )
    make_user(realm, "alice", password=PASSWORD)
    node, script = openid_client
    device = subprocess.Popen(
        [node, str(script)],
        env={
            **os.environ,
            "ISSUER": realm.issuer,
            "CLIENT_ID": "tv",
            "CLIENT_SECRET": CLIENT_SECRET,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = json.loads(device.stdout.readline() or "{}")
        assert started, device.stderr.read()
        assert started["uri"] == f"{realm.issuer}/device"
        assert "Your device is connected" in allow_on_the_device_page(
            started["uri"], started["userCode"]
        )
        out, err = device.communicate(timeout=60)
    finally:
        device.kill()
    assert device.returncode == 0, err
    seen = json.loads(out.strip().splitlines()[-1])
    alice = User.objects.get(realm=realm, username="alice")
    assert seen["claims"]["sub"] == str(alice.subject)
    assert seen["refreshToken"]
    keys = jwk.JWKSet.from_json(
        requests.get(f"{realm.issuer}/protocol/openid-connect/certs", timeout=10).text
    )
    access = json.loads(jwt.JWT(jwt=seen["accessToken"], key=keys).claims)
    assert (access["azp"], access["sub"]) == ("tv", str(alice.subject))
