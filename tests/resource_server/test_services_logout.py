"""End to end, Back-Channel Logout 1.0: a user signs in at demo-web, the order service serves
them (and exchanges their token to charge the payment), the user signs out at the issuer, the
issuer sends orders-service its logout token, and the order service (gunicorn, two workers,
Redis) refuses the same access token from then on."""

import io
import time

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from authserver.models import Client, LogoutDelivery
from tests.resource_server.live import ALICE, bearer, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:3000/"


def test_the_order_service_refuses_a_token_of_a_session_the_user_ended(demo):
    orders, issuer = demo["orders"], demo["issuer"]
    service_client = Client.objects.get(realm__name="demo", client_id="orders-service")
    # The demo realm names make run's port; the test's order service listens elsewhere.
    service_client.attributes["backchannel.logout.url"] = f"{orders.url}/backchannel-logout"
    service_client.save()
    browser, tokens = log_in(issuer, ALICE, "openid orders:read orders:write")
    token = tokens["access_token"]
    placed = requests.post(
        f"{orders.url}/api/orders",
        json={"item": "A tea cosy", "amount_cents": 900},
        headers=bearer(token),
        timeout=30,
    )
    assert placed.status_code == 201, placed.text
    assert requests.get(f"{orders.url}/api/orders", headers=bearer(token), timeout=10).ok

    signed_out = browser.get(
        f"{issuer}/protocol/openid-connect/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"] == POST_LOGOUT_REDIRECT_URI
    (queued,) = LogoutDelivery.objects.select_related("client")
    assert queued.client.client_id == "orders-service"
    # The server sends it itself once the logout is committed; should that try fail, what
    # deliver_logouts does (one process at a time: SQLite takes one writer).
    deadline = time.monotonic() + 15
    while queued.attempts == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        queued.refresh_from_db()
    if queued.delivered is None:
        LogoutDelivery.objects.update(next_attempt=timezone.now())
        call_command("deliver_logouts", "--once", stdout=io.StringIO())
        queued.refresh_from_db()
    assert queued.delivered is not None, queued.last_error

    # Several requests, so that both workers of the service answer.
    for _ in range(6):
        refused = requests.get(f"{orders.url}/api/orders", headers=bearer(token), timeout=10)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == (
            'Bearer realm="orders", error="invalid_token", '
            'error_description="the session of the access token has ended"'
        )
    # A new login is a new session: served again.
    _, again = log_in(issuer, ALICE, "openid orders:read")
    fresh = requests.get(
        f"{orders.url}/api/orders", headers=bearer(again["access_token"]), timeout=10
    )
    assert fresh.status_code == 200
