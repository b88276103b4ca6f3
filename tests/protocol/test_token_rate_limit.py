"""Rate limits at the token endpoint: per client address, per authenticated confidential client,
charged together once the client has tried to authenticate."""

import pytest
import time_machine

from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    authorize_and_get_code,
    basic,
    endpoint,
    exchange_code,
    make_machine_client,
    make_web_client,
    post_form,
)

pytestmark = pytest.mark.django_db

TIGHT = (0.001, 2)  # two at once, then one every 1000 s


def client_credentials(http, realm, *, secret=SECRET, address="10.0.0.1"):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("machine", secret),
        REMOTE_ADDR=address,
    )


def assert_rate_limited(response, retry_after="1000"):
    assert response.status_code == 429, response.content
    assert response["Retry-After"] == retry_after
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert "retry after" in body["error_description"]


def test_it_limits_each_address(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = TIGHT
    realm = make_realm()
    make_machine_client(realm)
    for _ in range(2):
        response = client_credentials(client, realm, secret="guess", address="10.0.0.9")
        assert response.status_code == 401

    # Spent by failed attempts: the right secret from that address waits too.
    assert_rate_limited(client_credentials(client, realm, secret="guess", address="10.0.0.9"))
    assert_rate_limited(client_credentials(client, realm, address="10.0.0.9"))
    response = client_credentials(client, realm, secret="guess", address="10.0.0.10")
    assert response.status_code == 401


def test_it_charges_nothing_for_a_request_refused_before_any_client_is_looked_at(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = TIGHT
    realm = make_realm()
    make_machine_client(realm)
    garbage = {"grant_type": "password"}
    for _ in range(5):
        response = post_form(client, endpoint(realm, "token"), garbage, REMOTE_ADDR="10.0.0.9")
        assert response.status_code == 400

    assert client_credentials(client, realm, address="10.0.0.9").status_code == 200


def test_it_limits_each_confidential_client_wherever_it_calls_from(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = TIGHT
    realm = make_realm()
    make_machine_client(realm)
    assert client_credentials(client, realm, address="10.0.0.1").status_code == 200
    assert client_credentials(client, realm, address="10.0.0.2").status_code == 200

    assert_rate_limited(client_credentials(client, realm, address="10.0.0.3"))


def test_it_does_not_charge_a_client_for_requests_that_fail_to_authenticate(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = TIGHT
    realm = make_realm()
    make_machine_client(realm)
    for n in range(5):
        response = client_credentials(client, realm, secret="wrong", address=f"10.0.1.{n}")
        assert response.status_code == 401

    assert client_credentials(client, realm, address="10.0.0.1").status_code == 200
    assert client_credentials(client, realm, address="10.0.0.2").status_code == 200


def test_it_keeps_clients_and_realms_apart(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = TIGHT
    realm, other = make_realm(), make_realm()
    make_machine_client(realm)
    make_machine_client(other)
    for n in range(2):
        assert client_credentials(client, realm, address=f"10.0.2.{n}").status_code == 200
    assert client_credentials(client, other, address="10.0.2.9").status_code == 200


def test_it_limits_a_public_client_by_address_only(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = TIGHT
    realm = make_realm()
    make_web_client(realm, public=True)

    def exchange(address):
        return post_form(
            client,
            endpoint(realm, "token"),
            {"grant_type": "authorization_code", "client_id": "app", "code": "unknown"},
            REMOTE_ADDR=address,
        )

    # Its client_id is everybody's: from other addresses it is never refused as a client.
    for n in range(5):
        assert exchange(f"10.0.3.{n}").status_code == 400
    # One address is limited all the same.
    assert [exchange("10.0.3.9").status_code for _ in range(2)] == [400, 400]
    assert_rate_limited(exchange("10.0.3.9"))


def test_it_refuses_before_a_code_is_spent(client, settings):
    settings.AUTHSERVER_RATE_TOKEN = (0.5, 1)
    realm = make_realm()
    user = make_user(realm, "alice")
    make_web_client(realm, scopes=["openid"])
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        first = authorize_and_get_code(client, realm, user, scope="openid")
        second = authorize_and_get_code(client, realm, user, scope="openid")
        ok = exchange_code(client, realm, first, REMOTE_ADDR="10.0.4.1")
        assert ok.status_code == 200, ok.content

        assert_rate_limited(exchange_code(client, realm, second, REMOTE_ADDR="10.0.4.2"), "2")

        clock.shift(2)
        later = exchange_code(client, realm, second, REMOTE_ADDR="10.0.4.3")
        assert later.status_code == 200, later.content


def test_it_lets_the_suite_through_with_the_default_limits(client):
    realm = make_realm()
    make_machine_client(realm)
    assert all(client_credentials(client, realm).status_code == 200 for _ in range(30))
