"""A stored password hash that costs more to verify than accounts.hash_cost allows is refused
without being computed, and a locked account's stored hash is never verified."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import checks
from django.utils import timezone

from accounts import hash_cost, sessions
from accounts.models import User, UserSession
from tests import hashers
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = hashers.COUNTING
    hashers.WORK.clear()
    yield hashers
    hashers.WORK.clear()


def user_with_hash(realm, username, encoded):
    user = make_user(realm, username, password=None)
    User.objects.filter(pk=user.pk).update(password=encoded)
    return user


def post_login(client, realm, username, password):
    return client.post(f"/realms/{realm.name}/login", {"username": username, "password": password})


def assert_refused(response):
    assert response.status_code == 200
    assert "Invalid username or password." in response.content.decode()
    assert sessions.COOKIE_NAME not in response.cookies
    assert not UserSession.objects.exists()


@pytest.mark.parametrize(
    "encoded", hashers.BEYOND_THE_BOUND.values(), ids=hashers.BEYOND_THE_BOUND.keys()
)
def test_it_refuses_a_stored_hash_beyond_the_bound_without_computing_it(client, counting, encoded):
    realm = make_realm()
    user = user_with_hash(realm, "alice", encoded)
    counting.WORK.clear()
    assert_refused(post_login(client, realm, "alice", PASSWORD))
    algorithm = encoded.split("$", 1)[0]
    assert counting.asked_to_verify() == [algorithm]
    # Only the default hasher's fixed work, as for an unknown user: never the stored hash's.
    assert counting.hashed() == ["argon2"]
    assert User.objects.get(pk=user.pk).password == encoded


def test_it_logs_in_with_a_stored_hash_at_the_bound_and_not_one_past_it(client, monkeypatch):
    monkeypatch.setattr(hash_cost, "PBKDF2_SHA256_MAX_ITERATIONS", 1000)
    realm = make_realm()
    user_with_hash(realm, "at", PBKDF2PasswordHasher().encode(PASSWORD, "salt", 1000))
    user_with_hash(realm, "past", PBKDF2PasswordHasher().encode(PASSWORD, "salt", 1001))
    assert post_login(client, realm, "at", PASSWORD).status_code == 302
    client.cookies.clear()
    UserSession.objects.all().delete()
    assert_refused(post_login(client, realm, "past", PASSWORD))


def test_it_does_not_verify_the_stored_hash_of_a_locked_account(client, counting):
    realm = make_realm(brute_force_protected=True, failure_factor=3)
    make_user(realm, "alice")
    User.objects.filter(username="alice").update(failed_logins=3, last_failed_login=timezone.now())
    counting.WORK.clear()
    assert_refused(post_login(client, realm, "alice", PASSWORD))
    assert counting.asked_to_verify() == []
    # The fixed work an unknown username costs, so a lock does not show in the time taken.
    assert counting.hashed() == ["argon2"]


def test_it_refuses_to_start_with_a_hasher_that_does_not_bound_its_cost(settings):
    assert not [m for m in checks.run_checks() if m.id == "authserver.E020"]
    settings.PASSWORD_HASHERS = [
        *settings.PASSWORD_HASHERS,
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ]
    found = [m for m in checks.run_checks() if m.id == "authserver.E020"]
    assert [m.msg for m in found] == [
        "The password hasher ScryptPasswordHasher (scrypt) does not bound the cost of the "
        "hashes it verifies."
    ]
