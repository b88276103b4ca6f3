"""X-Request-ID: kept when the gateway sends a sane one, made otherwise, always answered."""

import re

import pytest

from tests.factories import make_realm
from tests.protocol.helpers import endpoint

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_it_keeps_a_sane_incoming_request_id(client):
    realm = make_realm()
    incoming = "5f0c6a1e9b2d4c7f8a1b2c3d4e5f6a7b"

    response = client.get(endpoint(realm, "certs"), HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["", "x" * 129, "two words", 'quote"d', "line\nbreak", "caf\u00e9", "a/b"],
)
def test_it_replaces_an_unfit_request_id(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_it_gives_each_request_its_own_id(client):
    first, second = (client.get("/healthz")["X-Request-ID"] for _ in range(2))

    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


def test_it_answers_the_id_on_pages_and_errors_too(client):
    realm = make_realm()

    for path in (f"/realms/{realm.name}/login", "/no/such/page", "/admin/login/"):
        assert GENERATED.fullmatch(client.get(path)["X-Request-ID"]), path
