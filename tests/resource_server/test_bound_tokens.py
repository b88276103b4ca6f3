"""The payment service over its own mutual TLS (gunicorn with AUTHSERVER_TLS_CERT, _KEY and
_CA, as deploy/gunicorn.conf.py serves it) checks a certificate-bound token (RFC 8705 §3)
against the certificate of the caller's connection: the token of the demo realm's
orders-service, bound by the live authorization server to the certificate it was requested
with, pays only over that certificate."""

import uuid

import pytest
import requests

from authserver.models import Client
from tests import pki
from tests.protocol.helpers import basic, post_form
from tests.resource_server.live import Service, service_environment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tls(tmp_path_factory, client_ca):
    """The payment service's server certificate (its own CA) and the clients' CA files."""
    folder = tmp_path_factory.mktemp("payments-tls")
    server_ca = pki.Authority("payments server CA")
    (folder / "server-ca.crt").write_text(server_ca.pem)
    server = server_ca.issue("payments", dns=("localhost",), ips=("127.0.0.1",), server=True)
    server.write(folder, "payments")
    (folder / "client-ca.crt").write_text(client_ca.pem)
    return folder


@pytest.fixture(scope="module")
def payments(live_server, tls, tmp_path_factory):
    from django.conf import settings

    service = Service(
        "payments",
        tmp_path_factory.mktemp("payments"),
        {},
        tls_ca=str(tls / "server-ca.crt"),
    )
    service.environment |= service_environment(
        f"{live_server.url}/realms/demo", payments_url="", redis_url=settings.REDIS_URL
    )
    service.environment |= {
        "RS_AUDIENCE": "payments",
        "AUTHSERVER_TLS_CERT": str(tls / "payments.crt"),
        "AUTHSERVER_TLS_KEY": str(tls / "payments.key"),
        # Client certificates of the clients' CA, asked for and not required.
        "AUTHSERVER_TLS_CA": str(tls / "client-ca.crt"),
    }
    service.start()
    yield service
    service.stop()


def _files(folder, issued, stem):
    return tuple(str(path) for path in issued.write(folder, stem))


def test_the_payment_service_takes_a_bound_token_over_its_certificate_only(
    demo, payments, mtls, client, client_ca, tls, tmp_path
):
    Client.objects.filter(realm__name="demo", client_id="orders-service").update(
        attributes={
            **Client.objects.get(realm__name="demo", client_id="orders-service").attributes,
            "tls.client.certificate.bound.access.tokens": "true",
        }
    )
    mine = client_ca.issue("orders-service")
    response = post_form(
        client,
        "/realms/demo/protocol/openid-connect/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("orders-service", "orders-service-secret"),
        **mine.forwarded,
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    url = f"{payments.url}/api/payments"
    verify = str(tls / "server-ca.crt")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = f'{{"reference": "bound-{uuid.uuid4().hex}", "amount_cents": 100}}'

    paid = requests.post(
        url,
        data=body,
        headers=headers,
        cert=_files(tmp_path, mine, "mine"),
        verify=verify,
        timeout=10,
    )
    assert paid.status_code == 201, paid.text

    other = client_ca.issue("orders-service")  # the same name, another key: not the same
    for cert in (_files(tmp_path, other, "other"), None):
        refused = requests.post(
            url, data=body, headers=headers, cert=cert, verify=verify, timeout=10
        )
        assert refused.status_code == 401, refused.text
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
