"""A failed login costs the default hasher's work once, whichever hasher made the user's stored
hash and whether the user exists: counted through the suite's counting hashers, not timed."""

import base64
import hashlib

import pytest
from django.contrib.auth.hashers import make_password

from accounts import sessions
from accounts.models import User
from tests import hashers
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db

DEFAULT = "argon2"
WRONG = "Wrong-Horse-9"


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = hashers.COUNTING
    hashers.WORK.clear()
    yield hashers
    hashers.WORK.clear()


def keycloak_hash(password: str, iterations: int = 27500) -> str:
    """What the realm-file reader makes of a Keycloak pbkdf2-sha256 credential."""
    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    salt64, digest64 = (base64.b64encode(raw).decode() for raw in (salt, digest))
    return f"keycloak_pbkdf2_sha256${iterations}${salt64}${digest64}"


def other_argon2_parameters(password: str) -> str:
    hasher = hashers.FastArgon2PasswordHasher()
    hasher.time_cost = 2
    return make_password(password, hasher=hasher)


STORED = {
    "default-argon2": lambda: make_password(PASSWORD),
    "argon2-other-parameters": lambda: other_argon2_parameters(PASSWORD),
    "django-pbkdf2": lambda: make_password(PASSWORD, hasher="pbkdf2_sha256"),
    "keycloak-pbkdf2": lambda: keycloak_hash(PASSWORD),
    "unusable": lambda: make_password(None),
}
# The stored hash's own verification, done before the default work when it is another's.
OWN_WORK = {
    "default-argon2": [],
    "argon2-other-parameters": ["argon2"],
    "django-pbkdf2": ["pbkdf2_sha256"],
    "keycloak-pbkdf2": ["keycloak_pbkdf2_sha256"],
    "unusable": [],
}


def user_with_hash(realm, username, encoded, **fields):
    user = make_user(realm, username, password=None)
    User.objects.filter(pk=user.pk).update(password=encoded, **fields)
    return user


def post_login(client, realm, username, password):
    return client.post(f"/realms/{realm.name}/login", {"username": username, "password": password})


def failed_login_work(client, realm, username) -> list[str]:
    hashers.WORK.clear()
    response = post_login(client, realm, username, WRONG)
    assert response.status_code == 200
    assert "Invalid username or password." in response.content.decode()
    assert sessions.COOKIE_NAME not in response.cookies
    return hashers.hashed()


def test_it_spends_the_default_hashers_work_once_for_an_unknown_user(client, counting):
    realm = make_realm()
    assert failed_login_work(client, realm, "nobody") == [DEFAULT]


@pytest.mark.parametrize("kind", STORED.keys())
def test_it_spends_the_default_hashers_work_once_on_a_wrong_password(client, counting, kind):
    realm = make_realm()
    user_with_hash(realm, "alice", STORED[kind]())
    assert failed_login_work(client, realm, "alice") == [*OWN_WORK[kind], DEFAULT]


def test_it_answers_a_wrong_password_for_an_imported_keycloak_hash_as_for_anyone(client, counting):
    realm = make_realm(brute_force_protected=True, failure_factor=2)
    user_with_hash(realm, "kc", keycloak_hash(PASSWORD))
    make_user(realm, "native")
    unknown = failed_login_work(client, realm, "nobody")
    native = failed_login_work(client, realm, "native")
    imported = failed_login_work(client, realm, "kc")
    assert unknown == native == [DEFAULT]
    assert imported == ["keycloak_pbkdf2_sha256", DEFAULT]
    # Once locked, the imported hash is not verified at all.
    failed_login_work(client, realm, "kc")
    assert User.objects.get(username="kc").failed_logins == 2
    assert failed_login_work(client, realm, "kc") == [DEFAULT]


def test_it_still_logs_in_a_user_with_an_imported_keycloak_hash_and_rehashes_it(client, counting):
    realm = make_realm()
    user_with_hash(realm, "kc", keycloak_hash(PASSWORD))
    hashers.WORK.clear()
    response = post_login(client, realm, "kc", PASSWORD)
    assert response.status_code == 302
    assert User.objects.get(username="kc").password.startswith("argon2$")
    # The verification, then the re-hash: the one cost a right password adds.
    assert hashers.hashed() == ["keycloak_pbkdf2_sha256", DEFAULT]
