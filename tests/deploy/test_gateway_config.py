"""deploy/gateway/render.py: the gateway's nginx configuration from the environment, checked
by Debian's nginx itself (`nginx -t`); a malformed value is refused naming its variable."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy import gunicorn

ROOT = gunicorn.ROOT
RENDER = ROOT / "deploy" / "gateway" / "render.py"
BASH = shutil.which("bash") or "/bin/bash"


def _nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.fail("nginx is not installed: .ci/run installs Debian's (apt-get install nginx)")
    return found


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("certs")
    subprocess.run(
        [BASH, str(ROOT / "deploy" / "make-certs.sh"), str(directory)],
        check=True,
        capture_output=True,
    )
    return directory


def _render(tmp_path: Path, certs: Path, **variables) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    env.update(
        {
            "GATEWAY_DIR": str(tmp_path / "gateway"),
            "GATEWAY_LISTEN": f"127.0.0.1:{gunicorn.free_port()}",
            "GATEWAY_TLS_CERT": str(certs / "gateway.crt"),
            "GATEWAY_TLS_KEY": str(certs / "gateway.key"),
            "GATEWAY_UPSTREAM_CA": str(certs / "ca.crt"),
            **variables,
        }
    )
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, str(RENDER)], env=env, capture_output=True, text=True, check=False
    )


def test_the_rendered_configuration_is_valid_nginx(tmp_path, certs):
    done = _render(
        tmp_path,
        certs,
        GATEWAY_AUTHSERVER="127.0.0.1:8010, 127.0.0.1:8011",
        GATEWAY_CORS_ORIGINS="https://app.example, http://localhost:5173",
        GATEWAY_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.2",
        GATEWAY_ADMIN_ALLOW="127.0.0.1, 192.168.10.0/24",
        GATEWAY_USER="root" if os.geteuid() == 0 else None,
        GATEWAY_CLIENT_CERTIFICATES="optional",
    )
    assert done.returncode == 0, done.stderr
    configuration = Path(done.stdout.strip())
    text = configuration.read_text()
    assert "@@" not in text.replace("@@{name}", "")
    assert "server 127.0.0.1:8011 max_fails=1 fail_timeout=5s;" in text
    assert '"https://app.example" $http_origin;' in text
    assert "set_real_ip_from 10.0.0.0/8;" in text
    assert "allow 192.168.10.0/24;" in text
    # proxy_set_header in a location replaces the server's: each that sets its own headers
    # passes the request id on too, and sets the client-certificate header (else a client's
    # own would pass).
    for block in text.split("location ")[1:]:
        if "proxy_set_header" in block.split("}")[0]:
            assert "proxy_set_header X-Request-ID $request_id_kept;" in block, block
            assert "proxy_set_header Ssl-Client-Cert " in block, block
    assert "ssl_verify_client optional_no_ca;" in text
    check = subprocess.run(
        [
            _nginx(),
            "-t",
            "-q",
            "-p",
            str(configuration.parent),
            "-e",
            str(configuration.parent / "logs" / "error.log"),
            "-c",
            str(configuration),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_it_believes_no_forwarded_address_unless_told_which_hops_to_trust(tmp_path, certs):
    done = _render(tmp_path, certs)
    assert done.returncode == 0, done.stderr
    text = Path(done.stdout.strip()).read_text()
    assert "set_real_ip_from" not in text and "real_ip_header" not in text
    assert "ssl_verify_client" not in text  # nor asks for client certificates


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_AUTHSERVER", "node-without-port"),
        ("GATEWAY_ADMIN_ALLOW", "10.0.0.300"),
        ("GATEWAY_TRUSTED_PROXIES", "everyone"),
        ("GATEWAY_CORS_ORIGINS", "https://app.example/path"),
        ("GATEWAY_MAX_BODY", "1 GB"),
        ("GATEWAY_CLIENT_TIMEOUT", "forever"),
        ("GATEWAY_TLS_CERT", "/nonexistent/gateway.crt"),
        ("GATEWAY_UPSTREAM_CA", None),
        ("GATEWAY_CLIENT_CERTIFICATES", "required"),
    ],
)
def test_it_refuses_a_malformed_or_missing_value_naming_it(tmp_path, certs, name, value):
    done = _render(tmp_path, certs, **{name: value})
    assert done.returncode != 0
    assert name in done.stderr
    assert not (tmp_path / "gateway" / "nginx.conf").exists()
