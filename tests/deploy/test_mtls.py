"""Mutual TLS with deploy/make-certs.sh and deploy/gunicorn.conf.py: real TLS on loopback."""

import os
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy import gunicorn

ROOT = Path(settings.BASE_DIR)
APP = "tests.deploy.tls_app:application"
BASH = shutil.which("bash") or "/bin/bash"
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("certs")
    subprocess.run(
        [BASH, str(ROOT / "deploy" / "make-certs.sh"), str(directory)],
        check=True,
        capture_output=True,
    )
    return directory


@pytest.fixture(scope="module")
def stranger(tmp_path_factory) -> Path:
    """Another CA's client certificate for orders-service: a look-alike, not ours."""
    directory = tmp_path_factory.mktemp("stranger")
    subprocess.run(
        [BASH, str(ROOT / "deploy" / "make-certs.sh"), str(directory)],
        check=True,
        capture_output=True,
    )
    return directory


def _serve(certs: Path, **tls_env):
    """gunicorn with the deploy configuration on a free loopback port; yields the port."""
    port = gunicorn.free_port()
    env = {
        **os.environ,
        "AUTHSERVER_BIND": f"127.0.0.1:{port}",
        "AUTHSERVER_WORKERS": "1",
        "AUTHSERVER_TLS_CERT": str(certs / "payments.crt"),
        "AUTHSERVER_TLS_KEY": str(certs / "payments.key"),
        **tls_env,
    }
    with gunicorn.running(APP, port=port, env=env):
        yield port


@pytest.fixture(scope="module")
def mtls_port(certs):
    yield from _serve(
        certs,
        AUTHSERVER_TLS_CA=str(certs / "ca.crt"),
        AUTHSERVER_TLS_REQUIRE_CLIENT_CERT="1",
    )


def _context(certs: Path, *, client: Path | None = None, tls12: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    if client is not None:
        context.load_cert_chain(client / "orders-service.crt", client / "orders-service.key")
    if tls12:
        # In TLS 1.2 the server checks the client certificate during the handshake itself.
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def _get(port: int, context: ssl.SSLContext, host: str = "localhost") -> bytes:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(REQUEST)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
        return answer


def _refused(port: int, context: ssl.SSLContext) -> None:
    """The server ends the connection without an HTTP answer: in TLS 1.2 the handshake fails;
    in TLS 1.3 the client's handshake completes first and the server's alert ends the read."""
    try:
        answer = _get(port, context)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return
    assert answer == b"", answer[:200]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_it_serves_a_client_with_the_orders_service_certificate(certs, mtls_port, host):
    answer = _get(mtls_port, _context(certs, client=certs), host=host)
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert answer.endswith(b"reached over https")


def test_it_refuses_a_client_without_a_certificate_in_the_handshake(certs, mtls_port):
    with pytest.raises(ssl.SSLError):
        _get(mtls_port, _context(certs, tls12=True))


def test_it_refuses_a_client_without_a_certificate_over_tls13(certs, mtls_port):
    _refused(mtls_port, _context(certs))


def test_it_refuses_a_certificate_of_another_ca(certs, stranger, mtls_port):
    with pytest.raises(ssl.SSLError):
        _get(mtls_port, _context(certs, client=stranger, tls12=True))
    _refused(mtls_port, _context(certs, client=stranger))


def test_it_serves_plain_tls_without_a_client_ca(certs):
    for port in _serve(certs):
        answer = _get(port, _context(certs))
        assert answer.startswith(b"HTTP/1.1 200 OK")


def test_its_certificate_is_for_the_service_and_loopback_only(certs, mtls_port):
    with pytest.raises(ssl.SSLCertVerificationError):
        _get(mtls_port, _context(certs, client=certs), host="auth.example.com")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AUTHSERVER_TLS_REQUIRE_CLIENT_CERT": "1"}, "needs AUTHSERVER_TLS_CA"),
        ({"AUTHSERVER_TLS_KEY": ""}, "set both AUTHSERVER_TLS_CERT and AUTHSERVER_TLS_KEY"),
        ({"AUTHSERVER_TLS_REQUIRE_CLIENT_CERT": "sometimes"}, "must be 1/0/true/false"),
    ],
)
def test_it_refuses_to_start_half_configured(certs, env, message):
    full = {
        **os.environ,
        "AUTHSERVER_BIND": f"127.0.0.1:{gunicorn.free_port()}",
        "AUTHSERVER_TLS_CERT": str(certs / "payments.crt"),
        "AUTHSERVER_TLS_KEY": str(certs / "payments.key"),
        **env,
    }
    result = subprocess.run(
        [
            str(gunicorn.GUNICORN),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--check-config",
            APP,
        ],
        cwd=ROOT,
        env=full,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert message in (result.stdout + result.stderr).decode()


def test_the_order_service_calls_payments_with_its_certificate(certs, mtls_port):
    from resource_server import tls
    from resource_server.auth import http

    context = tls.client_context(
        ca=str(certs / "ca.crt"),
        cert=str(certs / "orders-service.crt"),
        key=str(certs / "orders-service.key"),
    )
    answer = http.fetch("GET", f"https://localhost:{mtls_port}/", context=context)
    assert answer.status == 200

    without = tls.client_context(ca=str(certs / "ca.crt"))
    with pytest.raises(http.FetchError):
        http.fetch("GET", f"https://localhost:{mtls_port}/", context=without)
