"""The gateway and client certificates (RFC 8705), with Debian's nginx and the configuration
deploy/gateway/render.py writes: with GATEWAY_CLIENT_CERTIFICATES=optional it asks every client
for a certificate, any certificate, and passes it on in Ssl-Client-Cert to the endpoints that
authenticate clients or take bound tokens; a header of that name sent by a client never passes.
The authorization server's nodes are stood in for by a server that answers what it received."""

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests

from tests import pki
from tests.deploy import gunicorn
from tests.deploy.test_gateway_config import _nginx, _render, certs  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

TOKEN = "/realms/demo/protocol/openid-connect/token"


class _Echo(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"cert": self.headers.get("Ssl-Client-Cert")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def node():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, certs, node):  # noqa: F811 - the fixture imported above
    folder = tmp_path_factory.mktemp("gateway")
    listen = f"127.0.0.1:{gunicorn.free_port()}"
    done = _render(
        folder,
        certs,
        GATEWAY_LISTEN=listen,
        GATEWAY_AUTHSERVER=f"127.0.0.1:{node}",
        GATEWAY_CLIENT_CERTIFICATES="optional",
        GATEWAY_USER="root" if os.geteuid() == 0 else None,
    )
    assert done.returncode == 0, done.stderr
    configuration = Path(done.stdout.strip())
    nginx = subprocess.Popen(
        [
            _nginx(),
            "-p",
            str(configuration.parent),
            "-e",
            str(configuration.parent / "logs" / "error.log"),
            "-c",
            str(configuration),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            assert nginx.poll() is None, nginx.stderr.read().decode()
            try:
                host, port = listen.split(":")
                __import__("socket").create_connection((host, int(port)), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield f"https://{listen}"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        nginx.stderr.close()


@pytest.fixture(scope="module")
def client_cert(tmp_path_factory):
    """Any certificate: a self-signed one passes the gateway's handshake (optional_no_ca)."""
    issued = pki.self_signed("device")
    return issued, issued.write(tmp_path_factory.mktemp("client"), "device")


def _forwarded(url, certs, *, cert=None, **headers):  # noqa: F811
    answer = requests.post(
        url,
        data={"grant_type": "x"},
        cert=cert,
        headers=headers,
        verify=str(certs / "ca.crt"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    value = answer.json()["cert"]
    return unquote(value) if value else None


def test_it_forwards_the_certificate_to_the_token_endpoint(gateway, certs, client_cert):  # noqa: F811
    issued, files = client_cert
    assert _forwarded(gateway + TOKEN, certs, cert=files) == issued.pem
    assert _forwarded(gateway + TOKEN, certs) is None  # no certificate, no header


def test_it_never_passes_a_clients_own_header(gateway, certs, client_cert):  # noqa: F811
    issued, files = client_cert
    forged = pki.self_signed("machine").header
    assert _forwarded(gateway + TOKEN, certs, **{"Ssl-Client-Cert": forged}) is None
    got = _forwarded(gateway + TOKEN, certs, cert=files, **{"Ssl-Client-Cert": forged})
    assert got == issued.pem
    page = gateway + "/realms/demo/login"
    assert _forwarded(page, certs, cert=files, **{"Ssl-Client-Cert": forged}) is None
