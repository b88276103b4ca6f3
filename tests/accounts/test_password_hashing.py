"""Passwords are hashed with Argon2id at OWASP's parameters; a hash made with other Argon2
parameters still logs its user in and is replaced at that login."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.test import override_settings

from accounts import sessions
from accounts.models import User
from authserver import settings as project_settings
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db

OWASP_PARAMETERS = {"m": "19456", "t": "2", "p": "1"}
DJANGO_DEFAULT_PARAMETERS = {"m": "102400", "t": "2", "p": "8"}

# The project's own hashers, in its order: the suite's conftest puts a fast one in front.
production_hashers = override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS)


def argon2_parameters(encoded: str) -> tuple[str, str, dict[str, str]]:
    """Django's algorithm name, the Argon2 variant and the m/t/p parameters of an encoded hash
    (``argon2$argon2id$v=19$m=...,t=...,p=...$salt$hash``)."""
    algorithm, variant, _version, parameters, _salt, _hash = encoded.split("$")
    return algorithm, variant, dict(pair.split("=", 1) for pair in parameters.split(","))


def make_user_hashed_with_djangos_defaults(realm, username):
    user = make_user(realm, username, password=None)
    user.password = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    user.save(update_fields=["password"])
    assert argon2_parameters(user.password)[2] == DJANGO_DEFAULT_PARAMETERS
    return user


def post_login(client, realm, username, password):
    return client.post(f"/realms/{realm.name}/login", {"username": username, "password": password})


@production_hashers
def test_it_stores_a_new_password_as_argon2id_at_owasps_parameters():
    realm = make_realm()
    user = make_user(realm, "alice")
    stored = User.objects.get(pk=user.pk)
    assert argon2_parameters(stored.password) == ("argon2", "argon2id", OWASP_PARAMETERS)
    assert stored.check_password(PASSWORD)


@production_hashers
def test_it_logs_in_a_user_hashed_with_djangos_defaults_and_rehashes_the_password(client):
    realm = make_realm()
    user = make_user_hashed_with_djangos_defaults(realm, "alice")
    response = post_login(client, realm, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == f"/realms/{realm.name}/account"
    assert sessions.COOKIE_NAME in response.cookies
    rehashed = User.objects.get(pk=user.pk).password
    assert rehashed != user.password
    assert argon2_parameters(rehashed) == ("argon2", "argon2id", OWASP_PARAMETERS)
    again = post_login(client, realm, "alice", PASSWORD)
    assert again.status_code == 302
    assert User.objects.get(pk=user.pk).password == rehashed


@production_hashers
def test_it_keeps_the_old_hash_after_a_failed_login(client):
    realm = make_realm()
    user = make_user_hashed_with_djangos_defaults(realm, "alice")
    response = post_login(client, realm, "alice", "Wrong-Horse-9")
    assert response.status_code == 200
    assert sessions.COOKIE_NAME not in response.cookies
    assert User.objects.get(pk=user.pk).password == user.password
