"""Logout tokens validated as Back-Channel Logout 1.0 §2.6 says, and the sessions they end
refused by the bearer-token validator; keys generated here, the issuer served from memory."""

import uuid

import pytest

from resource_server.auth import EndedSessions, InvalidLogoutToken, InvalidToken, Logout
from resource_server.auth.cache import TTLCache
from resource_server.auth.logout import EVENT, LogoutTokenValidator
from tests.resource_server.fakes import (
    ISSUER,
    FakeAuthorizationServer,
    claims,
    rsa_key,
    sign,
    validator,
)

CLIENT_ID = "orders-service"
SUB = "a3c70e94-b2c7-4444-89e6-46fe23aad6a5"


@pytest.fixture
def key():
    return rsa_key("key-1")


@pytest.fixture
def server(key):
    return FakeAuthorizationServer(key)


@pytest.fixture
def logouts(server, clock):
    from resource_server.auth import Issuer

    return LogoutTokenValidator(
        Issuer(server.issuer, fetch=server.fetch, clock=clock), client_id=CLIENT_ID, clock=clock
    )


def logout_claims(clock, **overrides) -> dict:
    now = int(clock())
    found = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "events": {EVENT: {}},
        "sub": SUB,
        "sid": str(uuid.uuid4()),
    }
    found.update(overrides)
    return {name: value for name, value in found.items() if value is not None}


def logout_token(key, clock, *, typ="logout+jwt", **overrides) -> str:
    return sign(key, logout_claims(clock, **overrides), typ=typ)


def refused(logouts, token: str) -> InvalidLogoutToken:
    with pytest.raises(InvalidLogoutToken) as raised:
        logouts.validate(token)
    assert raised.value.code == "invalid_request"
    return raised.value


def test_it_accepts_a_valid_logout_token(logouts, key, clock):
    body = logout_claims(clock)

    logout = logouts.validate(sign(key, body, typ="logout+jwt"))

    assert logout == Logout(sub=SUB, sid=body["sid"], issued_at=body["iat"], jti=body["jti"])


@pytest.mark.parametrize("typ", [None, "JWT", "logout+jwt", "application/logout+jwt"])
def test_it_accepts_a_logout_token_typed_or_not(logouts, key, clock, typ):
    assert logouts.validate(logout_token(key, clock, typ=typ)).sub == SUB


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "secevent+jwt", 7])
def test_it_refuses_another_kind_of_token(logouts, key, clock, typ):
    assert "typ" in refused(logouts, logout_token(key, clock, typ=typ)).detail


def test_it_accepts_its_client_among_several_audiences(logouts, key, clock):
    token = logout_token(key, clock, aud=["other", CLIENT_ID])

    assert logouts.validate(token).sub == SUB


@pytest.mark.parametrize("aud", ["other", ["other"], [], None, 5])
def test_it_refuses_a_token_for_another_client(logouts, key, clock, aud):
    assert "aud" in refused(logouts, logout_token(key, clock, aud=aud)).detail


def test_it_refuses_a_token_signed_by_another_key(logouts, clock):
    assert "signature" in refused(logouts, logout_token(rsa_key("key-1"), clock)).detail


def test_it_refuses_an_unknown_key_and_alg_none(logouts, key, clock):
    assert "no published key" in refused(logouts, logout_token(rsa_key("other"), clock)).detail
    unsigned = sign(key, logout_claims(clock), typ="logout+jwt").rsplit(".", 1)[0]
    header = "eyJhbGciOiJub25lIiwidHlwIjoibG9nb3V0K2p3dCJ9"  # {"alg":"none","typ":"logout+jwt"}
    none = f"{header}.{unsigned.split('.')[1]}."
    assert "alg" in refused(logouts, none).detail


def test_it_refuses_a_crit_header(logouts, key, clock):
    token = sign(key, logout_claims(clock), typ="logout+jwt", crit=["exp"])

    assert "crit" in refused(logouts, token).detail


def test_it_refuses_an_encrypted_token(logouts):
    assert "JWE" in refused(logouts, "a.b.c.d.e").detail


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "x" * 20000])
def test_it_refuses_garbage(logouts, garbage):
    refused(logouts, garbage)


def test_it_refuses_another_issuer(logouts, key, clock):
    token = logout_token(key, clock, iss="https://elsewhere.example.test/realms/shop")

    assert "iss" in refused(logouts, token).detail


def test_it_refuses_a_stale_or_future_iat(logouts, key, clock):
    now = int(clock())
    assert "old" in refused(logouts, logout_token(key, clock, iat=now - 200, exp=None)).detail
    assert "future" in refused(logouts, logout_token(key, clock, iat=now + 60)).detail
    assert "iat" in refused(logouts, logout_token(key, clock, iat="now")).detail
    assert "iat" in refused(logouts, logout_token(key, clock, iat=None)).detail
    # Within the leeway of 30 s either way.
    assert logouts.validate(logout_token(key, clock, iat=now + 20)).sub == SUB


def test_it_checks_exp_when_present(logouts, key, clock):
    now = int(clock())
    assert logouts.validate(logout_token(key, clock, exp=None)).sub == SUB
    assert "expired" in refused(logouts, logout_token(key, clock, exp=now - 40)).detail
    assert "exp" in refused(logouts, logout_token(key, clock, exp="later")).detail


def test_it_requires_a_jti(logouts, key, clock):
    assert "jti" in refused(logouts, logout_token(key, clock, jti=None)).detail
    assert "jti" in refused(logouts, logout_token(key, clock, jti="")).detail


@pytest.mark.parametrize(
    "events",
    [None, {}, {EVENT: True}, {EVENT: "yes"}, {"http://schemas.openid.net/event/other": {}}, []],
)
def test_it_requires_the_backchannel_logout_event_with_an_object(logouts, key, clock, events):
    assert "event" in refused(logouts, logout_token(key, clock, events=events)).detail


def test_it_takes_a_sub_a_sid_or_both(logouts, key, clock):
    assert logouts.validate(logout_token(key, clock, sid=None)).sid is None
    assert logouts.validate(logout_token(key, clock, sub=None)).sub is None
    assert "neither" in refused(logouts, logout_token(key, clock, sub=None, sid=None)).detail
    assert "sid" in refused(logouts, logout_token(key, clock, sid=7)).detail
    assert "sub" in refused(logouts, logout_token(key, clock, sub="")).detail


def test_it_refuses_a_nonce(logouts, key, clock):
    assert "nonce" in refused(logouts, logout_token(key, clock, nonce="n-0S6_WzA2Mj")).detail


def test_it_refuses_a_replayed_jti_once_accepted(logouts, key, clock):
    jti = str(uuid.uuid4())
    logouts.validate(logout_token(key, clock, jti=jti))

    assert "before" in refused(logouts, logout_token(key, clock, jti=jti)).detail


def test_it_does_not_spend_the_jti_of_a_refused_token(logouts, key, clock):
    jti = str(uuid.uuid4())
    refused(logouts, logout_token(key, clock, jti=jti, nonce="x"))

    assert logouts.validate(logout_token(key, clock, jti=jti)).sub == SUB


def test_it_refuses_an_id_token(logouts, key, clock):
    id_token = claims(clock, aud=CLIENT_ID, nonce="abc", sid=str(uuid.uuid4()))

    assert "event" in refused(logouts, sign(key, id_token, typ="JWT")).detail


# --- the sessions a logout ended, refused by the bearer-token validator --------------------------
def test_it_refuses_the_access_tokens_of_an_ended_session_only(server, key, clock):
    ended = EndedSessions(clock=clock)
    check = validator(server, clock, ended_sessions=ended)
    sid, other = str(uuid.uuid4()), str(uuid.uuid4())
    token = sign(key, claims(clock, sid=sid))
    assert check.validate(token).sub == SUB

    ended.end(sid=sid, sub=SUB, at=clock())

    with pytest.raises(InvalidToken) as raised:
        check.validate(token)
    assert raised.value.code == "invalid_token"
    assert raised.value.description == "the session of the access token has ended"
    assert check.validate(sign(key, claims(clock, sid=other))).sub == SUB
    assert check.validate(sign(key, claims(clock))).sub == SUB  # no sid: not that session


def test_it_refuses_a_subjects_earlier_tokens_after_a_logout_without_sid(server, key, clock):
    ended = EndedSessions(clock=clock)
    check = validator(server, clock, ended_sessions=ended)
    before = sign(key, claims(clock, sid=str(uuid.uuid4())))
    someone_else = sign(key, claims(clock, sub="someone-else"))

    ended.end(sid=None, sub=SUB, at=clock())
    clock.advance(1)

    with pytest.raises(InvalidToken):
        check.validate(before)
    assert check.validate(sign(key, claims(clock))).sub == SUB  # issued after the logout
    assert check.validate(someone_else).sub == "someone-else"


def test_it_forgets_an_ended_session_after_remember_seconds(server, key, clock):
    ended = EndedSessions(TTLCache(clock=clock), remember_seconds=600, clock=clock)
    check = validator(server, clock, ended_sessions=ended, leeway_seconds=0)
    sid = str(uuid.uuid4())
    ended.end(sid=sid, sub=SUB, at=clock())
    clock.advance(599)
    with pytest.raises(InvalidToken):
        check.validate(sign(key, claims(clock, sid=sid)))

    clock.advance(2)

    assert check.validate(sign(key, claims(clock, sid=sid))).sub == SUB


def unreachable_redis():
    """Django's Redis cache on a port where no Redis listens: a Redis that is down."""
    from django_redis.cache import RedisCache
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    class Counted(RedisCache):
        reads = 0

        def get_many(self, keys, **kwargs):
            Counted.reads += 1
            return super().get_many(keys, **kwargs)

    options = {
        "SOCKET_CONNECT_TIMEOUT": 0.5,
        "CONNECTION_POOL_KWARGS": {"retry": Retry(NoBackoff(), 0)},
    }
    return Counted("redis://127.0.0.1:9/0", {"OPTIONS": options})


def test_it_lets_tokens_pass_while_the_store_is_down_and_leaves_it_alone(server, key, clock):
    store = unreachable_redis()
    check = validator(server, clock, ended_sessions=EndedSessions(store, clock=clock))
    token = sign(key, claims(clock, sid=str(uuid.uuid4())))

    assert check.validate(token).sub == SUB
    assert check.validate(token).sub == SUB
    assert store.reads == 1  # paused after the failure
    clock.advance(6)
    check.validate(token)
    assert store.reads == 2
