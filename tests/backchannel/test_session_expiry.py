"""A session that ends by its idle timeout or its maximum lifetime, without a logout, is told to
its clients as a logout is (Back-Channel Logout 1.0): noticed by manage.py deliver_logouts, once
per session, with the clock moved by time-machine rather than waited for."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts import sessions
from accounts.models import Realm, UserSession
from authserver.models import LogoutDelivery, RefreshToken
from tests.backchannel.test_backchannel_logout import Receiver, signed_in
from tests.factories import make_realm, make_user
from tests.protocol.helpers import make_web_client, tokens_for, verify

pytestmark = pytest.mark.django_db

IDLE = 600
LIFESPAN = 3600


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


def runner_round() -> str:
    """One round of the runner make run starts beside the server."""
    out = io.StringIO()
    call_command("deliver_logouts", "--once", stdout=out)
    return out.getvalue().strip()


def test_it_sends_a_logout_token_once_a_session_idles_out(client, receiver):
    realm = make_realm(sso_session_idle_timeout=IDLE, sso_session_max_lifespan=LIFESPAN)
    user, tokens = signed_in(client, realm, receiver.url)
    session = UserSession.objects.get()
    id_token_sid = verify(client, realm, tokens["id_token"])["sid"]
    assert runner_round() == "0 expired session(s), 0 logout token(s) delivered"

    with time_machine.travel(session.last_seen + timedelta(seconds=IDLE + 1)):
        assert runner_round() == "1 expired session(s), 1 logout token(s) delivered"
        (token,) = receiver.tokens()
        claims = verify(client, realm, token, typ="logout+jwt")
        assert claims["sid"] == str(session.sid) == id_token_sid
        assert claims["sub"] == str(user.subject) and claims["aud"] == "app"
        assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}

        assert runner_round() == "0 expired session(s), 0 logout token(s) delivered"  # once
    assert len(receiver.tokens()) == 1
    session.refresh_from_db()
    assert session.ended == session.last_seen + timedelta(seconds=IDLE)
    # Its refresh token is revoked, as a logout's is.
    assert RefreshToken.objects.get().revoked is not None


def test_it_sends_nothing_while_the_session_lives(client, receiver):
    realm = make_realm(sso_session_idle_timeout=IDLE, sso_session_max_lifespan=LIFESPAN)
    signed_in(client, realm, receiver.url)
    session = UserSession.objects.get()

    with time_machine.travel(session.last_seen + timedelta(seconds=IDLE - 5)):
        assert runner_round().startswith("0 expired session(s)")
    assert UserSession.objects.get().ended is None
    assert not LogoutDelivery.objects.exists() and not receiver.received


def test_it_sends_a_logout_token_at_the_maximum_lifetime_of_a_busy_session(client, receiver):
    realm = make_realm(sso_session_idle_timeout=IDLE, sso_session_max_lifespan=LIFESPAN)
    signed_in(client, realm, receiver.url)
    session = UserSession.objects.get()
    end_of_life = session.started + timedelta(seconds=LIFESPAN)
    # In use a minute ago: never idle, but past its maximum lifetime.
    UserSession.objects.update(last_seen=end_of_life - timedelta(seconds=60))

    with time_machine.travel(end_of_life + timedelta(seconds=1)):
        assert runner_round() == "1 expired session(s), 1 logout token(s) delivered"
        assert verify(client, realm, receiver.tokens()[0], typ="logout+jwt")["sid"] == str(
            session.sid
        )
    assert UserSession.objects.get().ended == end_of_life


def test_a_session_ended_by_a_logout_is_not_told_again_when_it_would_have_expired(client, receiver):
    realm = make_realm(sso_session_idle_timeout=IDLE, sso_session_max_lifespan=LIFESPAN)
    signed_in(client, realm, receiver.url)
    session = UserSession.objects.get()
    sessions.terminate(session)
    assert runner_round() == "0 expired session(s), 1 logout token(s) delivered"

    with time_machine.travel(timezone.now() + timedelta(seconds=LIFESPAN + 1)):
        assert runner_round() == "0 expired session(s), 0 logout token(s) delivered"
    assert len(receiver.tokens()) == 1


def test_each_realm_expires_its_sessions_by_its_own_timeouts(client, receiver):
    short = make_realm(sso_session_idle_timeout=IDLE, sso_session_max_lifespan=LIFESPAN)
    long = make_realm(sso_session_idle_timeout=IDLE * 10, sso_session_max_lifespan=LIFESPAN * 10)
    signed_in(client, short, receiver.url)
    make_web_client(long, scopes=["openid"], attributes={"backchannel.logout.url": receiver.url})
    tokens_for(client, long, make_user(long, "bob"), scope="openid")
    first = UserSession.objects.get(realm=short)

    with time_machine.travel(first.last_seen + timedelta(seconds=IDLE + 1)):
        assert runner_round().startswith("1 expired session(s)")
    assert UserSession.objects.get(realm=long).ended is None
    assert list(LogoutDelivery.objects.values_list("client__realm", flat=True)) == [short.pk]


def test_it_finds_expired_sessions_with_one_query_per_realm(
    client, receiver, django_assert_num_queries
):
    make_realm()
    make_realm()
    realms = Realm.objects.count()

    with django_assert_num_queries(1 + realms):
        assert sessions.end_expired() == 0
