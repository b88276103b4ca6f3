"""openid-client (npm, pinned) over mutual TLS (RFC 8705) against the production path: gunicorn
under deploy/gunicorn.conf.py terminating TLS itself and asking for client certificates, the
certificate read from its socket. The realm comes from a realm file, as Keycloak would export it.

openid-client authenticates with TlsClientAuth() through a customFetch whose undici Agent
presents the client's certificate; it finds the endpoints of the mTLS host in discovery's
mtls_endpoint_aliases. The tokens it gets are bound to the certificate: refused over another
connection, as a bound refresh token is."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from jwcrypto import jwk, jwt

from tests import pki
from tests.deploy import gunicorn
from tests.e2e import npm
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_openid_client_device import allow_on_the_device_page

pytestmark = pytest.mark.slow

PACKAGE = "openid-client@6.9.1"
SCRIPT = Path(__file__).with_name("openid_client_mtls.mjs")
REALM = "mtls"
MACHINE_DN = "CN=machine,O=Example"


@pytest.fixture(scope="module")
def openid_client(tmp_path_factory):
    node, _ = npm.tools()
    folder = npm.install(tmp_path_factory, PACKAGE, SCRIPT, also=(npm.UNDICI,))
    return node, folder / SCRIPT.name


class Certificates:
    """The server's certificate (its own CA), the clients' CA and what it issued, and the
    self-signed certificates of the clients that registered theirs; files in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        server_ca = pki.Authority("test server CA")
        self.server_ca = folder / "server-ca.crt"
        self.server_ca.write_text(server_ca.pem)
        server = server_ca.issue("localhost", dns=("localhost",), ips=("127.0.0.1",), server=True)
        self.server_cert, self.server_key = server.write(folder, "server")
        clients = pki.Authority("test client CA")
        self.client_ca = folder / "client-ca.crt"
        self.client_ca.write_text(clients.pem)
        self.issued = {
            "machine": clients.issue(pki.name("machine", organization="Example")),
            "intruder": clients.issue(pki.name("intruder", organization="Example")),
            "phone": clients.issue("alice's phone"),
            "other-phone": clients.issue("alice's phone"),
            "device": pki.self_signed("device"),
            # Its own subject: two self-signed certificates of one name confuse the handshake.
            "impostor": pki.self_signed("impostor"),
        }
        for stem, issued in self.issued.items():
            issued.write(folder, stem)
        # What gunicorn's handshake accepts: the clients' CA and, as Python's TLS verifies every
        # certificate it asks for, the self-signed certificates of the clients themselves.
        self.handshake = folder / "handshake.crt"
        self.handshake.write_text(
            clients.pem + self.issued["device"].pem + self.issued["impostor"].pem
        )

    def files(self, stem: str) -> list[str]:
        return [str(self.folder / f"{stem}.crt"), str(self.folder / f"{stem}.key")]


def _realm_file(certs: Certificates) -> dict:
    service = {"standardFlowEnabled": False, "serviceAccountsEnabled": True}
    scopes = {"defaultClientScopes": ["openid", "profile"]}
    return {
        "realm": REALM,
        "clients": [
            {
                "clientId": "machine",
                "clientAuthenticatorType": "client-x509",
                **service,
                **scopes,
                "attributes": {
                    "x509.subjectdn": MACHINE_DN,
                    "x509.allow.regex.pattern.comparison": "false",
                    "tls.client.certificate.bound.access.tokens": "true",
                },
            },
            {
                "clientId": "device",
                "clientAuthenticatorType": "client-self-signed-x509",
                **service,
                **scopes,
                "attributes": {"jwks.string": certs.issued["device"].jwks()},
            },
            {
                "clientId": "tv",
                "publicClient": True,
                "standardFlowEnabled": False,
                **scopes,
                "attributes": {
                    "oauth2.device.authorization.grant.enabled": "true",
                    "tls.client.certificate.bound.access.tokens": "true",
                },
            },
        ],
        "users": [
            {"username": "alice", "credentials": [{"type": "password", "value": PASSWORD}]},
            {"username": "service-account-machine", "serviceAccountClientId": "machine"},
            {"username": "service-account-device", "serviceAccountClientId": "device"},
        ],
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn over TLS on a free loopback port, with the realm imported; (issuer, certs)."""
    folder = tmp_path_factory.mktemp("mtls")
    certs = Certificates(folder)
    port = gunicorn.free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        AUTHSERVER_KEY_ENCRYPTION_KEY=secrets.token_urlsafe(32),
        AUTHSERVER_VAR_DIR=str(folder / "var"),
        AUTHSERVER_URL=f"https://127.0.0.1:{port}",
        # The mTLS host of discovery's aliases: the same server under another name.
        AUTHSERVER_MTLS_URL=f"https://localhost:{port}",
        AUTHSERVER_BIND=f"127.0.0.1:{port}",
        AUTHSERVER_WORKERS="2",
        AUTHSERVER_ACCESS_LOG="off",
        AUTHSERVER_RATE_TOKEN="off",
        AUTHSERVER_TLS_CERT=str(certs.server_cert),
        AUTHSERVER_TLS_KEY=str(certs.server_key),
        AUTHSERVER_TLS_CA=str(certs.handshake),
        # tls_client_auth trusts the clients' CA alone, not the self-signed certificates.
        AUTHSERVER_MTLS_CA=str(certs.client_ca),
        PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"),
    )
    realm_file = folder / "realm.json"
    realm_file.write_text(json.dumps(_realm_file(certs)))
    for command in (["migrate", "--no-input", "-v", "0"], ["import_realm", str(realm_file)]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=gunicorn.ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    with gunicorn.running("authserver.wsgi", port=port, env=env):
        yield f"https://127.0.0.1:{port}/realms/{REALM}", certs


def _run(openid_client, server, mode: str, client_id: str, *stems: str, **popen) -> dict:
    """The script's steps, by name, once it has exited (0 expected)."""
    node, script = openid_client
    issuer, certs = server
    files = [path for stem in stems for path in certs.files(stem)]
    done = subprocess.run(
        [node, str(script), mode, client_id, *files],
        env={**os.environ, "ISSUER": issuer, "SERVER_CA": str(certs.server_ca)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return _steps(done.stdout)


def _steps(output: str) -> dict:
    steps = {}
    for line in output.strip().splitlines():
        step = json.loads(line)
        steps[step.pop("step")] = step
    return steps


def _claims(issuer: str, certs: Certificates, token: str) -> dict:
    keys = jwk.JWKSet.from_json(
        requests.get(
            f"{issuer}/protocol/openid-connect/certs", verify=str(certs.server_ca), timeout=10
        ).text
    )
    return json.loads(jwt.JWT(jwt=token, key=keys).claims)


def test_openid_client_authenticates_with_its_certificate_and_gets_bound_tokens(
    openid_client, server
):
    issuer, certs = server
    steps = _run(openid_client, server, "service", "machine", "machine", "intruder")
    machine = certs.issued["machine"]
    print(steps)
    token = steps["token"]["accessToken"]
    claims = _claims(issuer, certs, token)
    assert claims["azp"] == "machine"
    assert claims["cnf"] == {"x5t#S256": machine.thumbprint}
    # The token request went to the mTLS host that discovery named.
    port = issuer.split(":")[2].split("/")[0]
    assert (
        f"https://localhost:{port}/realms/{REALM}/protocol/openid-connect/token"
        in (steps["token"]["fetched"])
    )
    assert steps["userinfo"]["sub"] == claims["sub"]
    assert steps["introspection"] == {"active": True, "cnf": {"x5t#S256": machine.thumbprint}}
    for step in ("userinfo without certificate", "userinfo with another certificate"):
        assert steps[step]["failed"], steps[step]
        assert (steps[step]["status"], steps[step]["error"]) == (401, "invalid_token")
    assert steps["revoked"] == {"active": False}


def test_openid_client_authenticates_with_its_registered_self_signed_certificate(
    openid_client, server
):
    issuer, certs = server
    steps = _run(openid_client, server, "service", "device", "device")
    claims = _claims(issuer, certs, steps["token"]["accessToken"])
    assert claims["azp"] == "device"
    assert "cnf" not in claims  # it does not bind its tokens


@pytest.mark.parametrize(
    ("client_id", "stem"),
    [
        ("machine", None),  # no certificate
        ("machine", "intruder"),  # the CA's, with another subject
        ("machine", "device"),  # the right handshake, not the CA's
        ("device", "impostor"),  # self-signed, not the registered one
        ("device", None),
    ],
)
def test_openid_client_is_refused_without_the_right_certificate(
    openid_client, server, client_id, stem
):
    steps = _run(openid_client, server, "refused", client_id, *([stem] if stem else []))
    assert steps["token"]["failed"], steps
    assert (steps["token"]["status"], steps["token"]["error"]) == (401, "invalid_client")


def test_a_bound_refresh_token_of_a_public_client_refreshes_over_its_certificate_only(
    openid_client, server
):
    """The device grant of a public client that binds its tokens: no authentication, yet its
    access and refresh tokens are the certificate's (RFC 8705 §4)."""
    issuer, certs = server
    node, script = openid_client
    device = subprocess.Popen(
        [node, str(script), "device", "tv", *certs.files("phone"), *certs.files("other-phone")],
        env={**os.environ, "ISSUER": issuer, "SERVER_CA": str(certs.server_ca)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = json.loads(device.stdout.readline() or "{}")
        assert started, device.stderr.read()
        page = allow_on_the_device_page(
            started["uri"], started["userCode"], verify=str(certs.server_ca)
        )
        assert "Your device is connected" in page
        out, err = device.communicate(timeout=60)
    finally:
        device.kill()
    assert device.returncode == 0, err
    steps = _steps(out)
    phone = certs.issued["phone"]
    access = _claims(issuer, certs, steps["tokens"]["accessToken"])
    assert access["cnf"] == {"x5t#S256": phone.thumbprint}
    refused = steps["refresh with another certificate"]
    assert (refused["status"], refused["error"]) == (400, "invalid_grant")
    refreshed = _claims(issuer, certs, steps["refreshed"]["accessToken"])
    assert refreshed["cnf"] == {"x5t#S256": phone.thumbprint}


def test_a_forwarded_certificate_header_from_a_client_is_ignored(server):
    """Without AUTHSERVER_MTLS_CERT_HEADER no header stands for a certificate, whoever sends
    it: only the TLS connection's counts."""
    issuer, certs = server
    response = requests.post(
        f"{issuer}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "machine"},
        headers={"Ssl-Client-Cert": certs.issued["machine"].header},
        verify=str(certs.server_ca),
        timeout=10,
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
