"""Token buckets (accounts/ratelimit.py) and the login forms they guard."""

import logging
import threading

import pytest
import time_machine
from django.db import connection

from accounts import ratelimit
from accounts.models import MASTER_REALM, Event, User
from accounts.ratelimit import limit
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db

TIGHT = (0.001, 2)  # two at once, then one every 1000 s


def redis_only():
    from django.conf import settings

    return pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")


@pytest.fixture
def in_process_cache(settings, tmp_path):
    """The caches without Redis: one in this process, one in files every worker would share."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": tmp_path / "shared-cache",
        },
    }


@pytest.fixture
def redis_down(settings, monkeypatch):
    """django-redis pointed at a port where nothing listens (and no failure remembered)."""
    monkeypatch.setattr(ratelimit, "_redis_down_until", {})
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }


# --- the bucket ---------------------------------------------------------------------------------
def _check_burst_then_refill():
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        assert [limit("test", "key", (0.5, 3)) for _ in range(3)] == [None, None, None]
        assert limit("test", "key", (0.5, 3)) == 2  # one token every 2 s
        clock.shift(1)
        assert limit("test", "key", (0.5, 3)) == 1
        clock.shift(1)
        assert limit("test", "key", (0.5, 3)) is None
        assert limit("test", "key", (0.5, 3)) == 2
        clock.shift(3600)
        assert [limit("test", "key", (0.5, 3)) for _ in range(4)] == [None, None, None, 2]


@redis_only()
def test_it_allows_a_burst_then_one_request_per_refill_in_redis():
    _check_burst_then_refill()


def test_it_allows_a_burst_then_one_request_per_refill_in_process(in_process_cache):
    _check_burst_then_refill()


def test_it_keeps_buckets_apart_by_scope_and_key():
    assert [limit("a", "k", (0.001, 1)) for _ in range(2)] == [None, 1000]
    assert limit("b", "k", (0.001, 1)) is None
    assert limit("a", "other", (0.001, 1)) is None


def _check_several_buckets_at_once():
    slow, slower = (0.01, 1), (0.001, 1)
    assert ratelimit.limit_all([("a", "k", slow), ("b", "k", slower)]) is None
    # The longest wait of the empty buckets.
    assert ratelimit.limit_all([("a", "k", slow), ("b", "k", slower)]) == 1000
    # An empty bucket does not stop another from being charged.
    assert ratelimit.limit_all([("a", "k2", slow), ("b", "k", slower)]) == 1000
    assert ratelimit.limit("a", "k2", slow) == 100


@redis_only()
def test_it_charges_several_buckets_in_one_round_trip_in_redis():
    _check_several_buckets_at_once()


def test_it_charges_several_buckets_at_once_in_process(in_process_cache):
    _check_several_buckets_at_once()


@redis_only()
def test_it_leases_tokens_while_the_bucket_is_far_from_its_limit():
    from django_redis import get_redis_connection

    rate = (1000.0, 1000)  # a lease of 10 tokens
    bucket = next(iter(get_redis_connection("default").scan_iter("*ratelimit:lease*")), None)
    assert bucket is None
    with time_machine.travel(1_900_000_000, tick=False):
        assert all(limit("lease", "k", rate) is None for _ in range(10))
        (bucket,) = get_redis_connection("default").scan_iter("*ratelimit:lease*")
        # One round trip took ten tokens; the other nine requests spent them here.
        assert float(get_redis_connection("default").hget(bucket, "tokens")) == 990
        assert limit("lease", "k", rate) is None
        assert float(get_redis_connection("default").hget(bucket, "tokens")) == 980


@redis_only()
def test_it_counts_every_request_in_redis_near_the_limit():
    from django_redis import get_redis_connection

    rate = (0.001, 1000)  # leases of one token: a slow refill
    with time_machine.travel(1_900_000_000, tick=False):
        for _ in range(3):
            assert limit("exact", "k", rate) is None
        (bucket,) = get_redis_connection("default").scan_iter("*ratelimit:exact*")
        assert float(get_redis_connection("default").hget(bucket, "tokens")) == 997


@redis_only()
def test_it_drops_what_is_left_of_a_lease_after_a_second():
    from django_redis import get_redis_connection

    rate = (1000.0, 1000)
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        assert limit("drop", "k", rate) is None
        (bucket,) = get_redis_connection("default").scan_iter("*ratelimit:drop*")
        assert float(get_redis_connection("default").hget(bucket, "tokens")) == 990
        clock.shift(ratelimit.LEASE_SECONDS)
        # Nine tokens are left here, but the lease is over: a new one is taken.
        assert limit("drop", "k", rate) is None
        assert float(get_redis_connection("default").hget(bucket, "tokens")) == 990


def test_it_does_not_limit_without_a_rate():
    assert all(limit("a", "k", None) is None for _ in range(50))


@redis_only()
@pytest.mark.django_db(transaction=True)
def test_it_takes_tokens_atomically_in_redis():
    allowed = []
    barrier = threading.Barrier(20)

    def hit():
        barrier.wait(timeout=10)
        allowed.append(limit("race", "k", (0.001, 10)) is None)
        connection.close()

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(allowed) == [False] * 10 + [True] * 10


def test_it_fails_open_and_logs_when_redis_is_down(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.ratelimit"):
        assert all(limit("down", "k", (0.001, 1)) is None for _ in range(5))
    warnings = [r for r in caplog.records if r.name == "accounts.ratelimit"]
    assert len(warnings) == 1  # then Redis is left alone for a while
    assert "Redis failed" in warnings[0].getMessage()


# --- the realm's login form ---------------------------------------------------------------------
WRONG = "wrong-Password1"


def post_login(http, realm, username="alice", password=WRONG, **extra):
    return http.post(
        f"/realms/{realm.name}/login", {"username": username, "password": password}, **extra
    )


def test_it_refuses_login_posts_past_the_limit_per_address(client, settings):
    settings.AUTHSERVER_RATE_LOGIN = TIGHT
    realm = make_realm(display_name="Acme")
    make_user(realm, "alice")
    assert post_login(client, realm, "alice").status_code == 200
    assert post_login(client, realm, "bob").status_code == 200

    response = post_login(client, realm, "carol", PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "1000"
    assert "no-store" in response["Cache-Control"]
    assert "Too many sign-in attempts" in response.content.decode()
    assert "Acme" in response.content.decode()
    # Not looked at: no failure recorded, no audit event for the refused attempt.
    assert Event.objects.filter(type="LOGIN_ERROR").count() == 2
    assert client.get(f"/realms/{realm.name}/login").status_code == 200


def test_it_refuses_login_posts_past_the_limit_per_username(client, settings):
    settings.AUTHSERVER_RATE_LOGIN = TIGHT
    realm = make_realm()
    alice = make_user(realm, "alice", password=PASSWORD)
    for address in ("10.0.0.1", "10.0.0.2"):
        assert post_login(client, realm, "Alice", REMOTE_ADDR=address).status_code == 200

    response = post_login(client, realm, "alice", PASSWORD, REMOTE_ADDR="10.0.0.3")

    assert response.status_code == 429
    alice.refresh_from_db()
    assert alice.failed_logins == 0
    # Another user from that address, and the same name in another realm, go on.
    assert post_login(client, realm, "bob", REMOTE_ADDR="10.0.0.3").status_code == 200
    other = make_realm()
    make_user(other, "alice")
    assert post_login(client, other, "alice", PASSWORD, REMOTE_ADDR="10.0.0.4").status_code == 302


def test_it_lets_logins_through_with_the_default_limits(client):
    realm = make_realm()
    make_user(realm, "alice")
    assert all(post_login(client, realm).status_code == 200 for _ in range(10))
    assert post_login(client, realm, "alice", PASSWORD).status_code == 302


def test_it_lets_logins_through_when_redis_is_down(client, redis_down, settings):
    settings.AUTHSERVER_RATE_LOGIN = TIGHT
    realm = make_realm()
    make_user(realm, "alice")
    assert [post_login(client, realm).status_code for _ in range(3)] == [200, 200, 200]
    assert post_login(client, realm, "alice", PASSWORD).status_code == 302


def test_it_limits_logins_in_the_in_process_cache(client, in_process_cache, settings):
    settings.AUTHSERVER_RATE_LOGIN = TIGHT
    realm = make_realm()
    assert [post_login(client, realm).status_code for _ in range(3)] == [200, 200, 429]


# --- the client's address behind a proxy --------------------------------------------------------
def test_it_takes_the_address_a_trusted_proxy_forwards(client, settings):
    settings.AUTHSERVER_RATE_LOGIN = TIGHT
    settings.AUTHSERVER_FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    realm = make_realm()

    def through_proxy(forwarded, username):
        return post_login(
            client, realm, username, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    assert through_proxy("203.0.113.7", "a1") == 200
    assert through_proxy("198.51.100.1, 203.0.113.7", "a2") == 200  # the nearest hop counts
    assert through_proxy("203.0.113.7", "a3") == 429
    assert through_proxy("203.0.113.8", "a4") == 200


def test_it_ignores_forwarded_addresses_from_an_untrusted_peer(client, settings):
    settings.AUTHSERVER_RATE_LOGIN = TIGHT
    settings.AUTHSERVER_FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    realm = make_realm()
    statuses = [
        post_login(
            client, realm, f"u{n}", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


# --- the console's login form -------------------------------------------------------------------
def test_it_refuses_console_login_posts_past_the_limit_per_address(client, settings):
    settings.AUTHSERVER_RATE_LOGIN = TIGHT
    master = make_realm(MASTER_REALM)
    User.objects.create_user("root", PASSWORD, realm=master, is_staff=True, is_superuser=True)
    for _ in range(2):
        response = client.post("/admin/login/", {"username": "root", "password": "wrong"})
        assert response.status_code == 200

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == "1000"
    assert client.get("/admin/login/").status_code == 200
    User.objects.create_user("admin", PASSWORD, realm=master, is_staff=True, is_superuser=True)
    other = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR="10.1.1.1",
    )
    assert other.status_code == 302
    # The username's own bucket holds it back from every address (tests/admin).
    same = client.post(
        "/admin/login/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.1.1.2"
    )
    assert same.status_code == 429
