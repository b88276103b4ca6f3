"""Back-Channel Logout 1.0: an ended session is told, server to server, to each client that was
issued tokens in it and registered a back-channel logout URI; logout tokens verified against the
published JWKS; failures retried with backoff, then given up on; the logout itself never waits."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from accounts import sessions
from accounts.models import UserSession
from authserver.backchannel import delivery
from authserver.models import Client, LogoutDelivery
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    endpoint,
    make_web_client,
    post_form,
    tokens_for,
    verify,
)

pytestmark = pytest.mark.django_db


class Receiver:
    """A client's back-channel logout endpoint: records each POST, answers ``status``."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self.delay = 0.0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = parse_qs(self.rfile.read(length).decode())
                time.sleep(owner.delay)
                owner.received.append(
                    {"content_type": self.headers.get("Content-Type"), "form": body}
                )
                self.send_response(owner.status)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/backchannel-logout"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def tokens(self) -> list[str]:
        return [entry["form"]["logout_token"][0] for entry in self.received]


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


def signed_in(http, realm, receiver_url=None, **attributes):
    if receiver_url:
        attributes["backchannel.logout.url"] = receiver_url
    make_web_client(realm, scopes=["openid"], attributes=attributes)
    user = make_user(realm, "alice")
    return user, tokens_for(http, realm, user, scope="openid")


def log_out(http, realm, refresh_token):
    form = {"client_id": "app", "client_secret": SECRET, "refresh_token": refresh_token}
    response = post_form(http, endpoint(realm, "logout"), form)
    assert response.status_code == 204, response.content


def test_it_sends_a_signed_logout_token_to_the_client(client, receiver):
    realm = make_realm()
    user, tokens = signed_in(client, realm, receiver.url)
    log_out(client, realm, tokens["refresh_token"])
    assert LogoutDelivery.objects.get().delivered is None  # queued, not sent by the request
    assert delivery.deliver_due() == 1
    (token,) = receiver.tokens()
    assert receiver.received[0]["content_type"] == "application/x-www-form-urlencoded"
    claims = verify(client, realm, token, typ="logout+jwt")
    id_token = verify(client, realm, tokens["id_token"])
    assert claims["iss"] == realm.issuer and claims["aud"] == "app"
    assert claims["sub"] == str(user.subject)
    assert claims["sid"] == id_token["sid"] == str(UserSession.objects.get().sid)
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert "nonce" not in claims and claims["exp"] - claims["iat"] <= 120
    assert LogoutDelivery.objects.get().delivered is not None
    assert delivery.deliver_due() == 0  # once


def test_it_leaves_sid_out_when_the_client_does_not_want_it(client, receiver):
    realm = make_realm()
    _, tokens = signed_in(
        client, realm, receiver.url, **{"backchannel.logout.session.required": "false"}
    )
    log_out(client, realm, tokens["refresh_token"])
    delivery.deliver_due()
    assert "sid" not in verify(client, realm, receiver.tokens()[0], typ="logout+jwt")


def test_it_tells_no_client_without_a_logout_uri(client, receiver):
    realm = make_realm()
    _, tokens = signed_in(client, realm)
    log_out(client, realm, tokens["refresh_token"])
    assert not LogoutDelivery.objects.exists()


def test_it_tells_only_the_clients_of_the_ended_session(client, receiver):
    realm = make_realm()
    _, tokens = signed_in(client, realm, receiver.url)
    other = make_web_client(realm, "other", attributes={"backchannel.logout.url": receiver.url})
    log_out(client, realm, tokens["refresh_token"])
    assert list(LogoutDelivery.objects.values_list("client__client_id", flat=True)) == ["app"]
    assert other.logout_deliveries.count() == 0


def test_it_retries_with_backoff_then_delivers(client, receiver):
    realm = make_realm()
    _, tokens = signed_in(client, realm, receiver.url)
    log_out(client, realm, tokens["refresh_token"])
    receiver.status = 500
    assert delivery.deliver_due() == 0
    first = LogoutDelivery.objects.get()
    assert (first.attempts, first.delivered) == (1, None)
    assert first.next_attempt > timezone.now()
    assert "500" in first.last_error
    assert delivery.deliver_due() == 0  # not due yet
    receiver.status = 204
    LogoutDelivery.objects.update(next_attempt=timezone.now() - timedelta(seconds=1))
    assert delivery.deliver_due() == 1
    assert len(receiver.received) == 2
    sent = [verify(client, realm, token, typ="logout+jwt")["jti"] for token in receiver.tokens()]
    assert sent[0] != sent[1]  # a retry carries a fresh token


def test_it_gives_up_after_the_last_attempt(client, receiver):
    realm = make_realm()
    _, tokens = signed_in(client, realm, receiver.url)
    log_out(client, realm, tokens["refresh_token"])
    receiver.status = 503
    for _ in range(delivery.MAX_ATTEMPTS):
        LogoutDelivery.objects.update(next_attempt=timezone.now() - timedelta(seconds=1))
        delivery.deliver_due()
    given_up = LogoutDelivery.objects.get()
    assert given_up.given_up is not None and given_up.attempts == delivery.MAX_ATTEMPTS
    LogoutDelivery.objects.update(next_attempt=timezone.now() - timedelta(seconds=1))
    assert delivery.deliver_due() == 0


@pytest.mark.django_db(transaction=True)
def test_a_slow_client_does_not_hold_up_the_logout(client, receiver):
    realm = make_realm()
    _, tokens = signed_in(client, realm, receiver.url)
    receiver.delay = 3
    started = time.monotonic()
    log_out(client, realm, tokens["refresh_token"])
    assert time.monotonic() - started < 2  # the logout answered before the client did
    deadline = time.monotonic() + 10
    while LogoutDelivery.objects.get().delivered is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received) == 1
    assert LogoutDelivery.objects.get().delivered is not None


@pytest.mark.django_db(transaction=True)
def test_it_sends_on_its_own_once_the_logout_is_committed(client, receiver):
    realm = make_realm()
    _, tokens = signed_in(client, realm, receiver.url)
    log_out(client, realm, tokens["refresh_token"])
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.tokens()) == 1
    for _ in range(100):
        if LogoutDelivery.objects.get().delivered is not None:
            break
        time.sleep(0.05)
    assert LogoutDelivery.objects.get().delivered is not None


def test_a_disabled_client_is_not_told(client, receiver):
    realm = make_realm()
    signed_in(client, realm, receiver.url)
    Client.objects.filter(client_id="app").update(enabled=False)
    sessions.terminate(UserSession.objects.get())
    assert not LogoutDelivery.objects.exists()


def test_it_tells_a_client_that_exchanged_a_token_of_the_session(client, receiver):
    """A service that exchanged the user's token (RFC 8693) took part in the session, as
    Keycloak counts it: it hears of the logout too, with the session's sid."""
    from tests.protocol.test_token_exchange import exchanged, setup

    realm = make_realm()
    _, access, _, orders = setup(realm)
    orders.attributes["backchannel.logout.url"] = receiver.url
    orders.save()
    exchanged(client, realm, access)
    session = UserSession.objects.get()

    sessions.terminate(session)

    assert sorted(LogoutDelivery.objects.values_list("client__client_id", flat=True)) == [
        "orders-service"
    ]
    assert delivery.deliver_due() == 1
    claims = verify(client, realm, receiver.tokens()[0], typ="logout+jwt")
    assert claims["aud"] == "orders-service" and claims["sid"] == str(session.sid)


def test_a_delivery_being_sent_is_not_sent_twice_and_is_sent_again_if_its_sender_stopped(
    client, receiver
):
    import time_machine

    realm = make_realm()
    _, tokens = signed_in(client, realm, receiver.url)
    log_out(client, realm, tokens["refresh_token"])
    # What a process does first, had it stopped right after: the delivery is claimed.
    claimed_until = timezone.now() + timedelta(seconds=delivery.CLAIM_SECONDS)
    assert delivery.due().update(next_attempt=claimed_until) == 1

    assert delivery.deliver_due() == 0  # another process leaves it alone
    assert not receiver.received
    with time_machine.travel(claimed_until + timedelta(seconds=1)):
        assert delivery.deliver_due() == 1
    assert len(receiver.tokens()) == 1
    assert LogoutDelivery.objects.get().attempts == 1
