import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from accounts import process_cache
from authserver.keys import rotation, store
from authserver.keys.crypto import KeyDecryptionError
from authserver.keys.models import SigningKey
from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def test_it_creates_an_rsa_2048_key_on_first_use_for_an_rs256_realm():
    realm = make_realm(default_signature_algorithm="RS256")
    key = store.signing_key(realm)
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert key.get_op_key("sign").key_size == 2048
    assert key["kid"] == key.thumbprint()
    row = SigningKey.objects.get(realm=realm)
    assert (row.kid, row.state, row.alg) == (key["kid"], "active", "RS256")
    assert row.activated is not None and row.retire_after is None


def test_it_creates_a_p256_key_on_first_use_for_an_es256_realm():
    realm = make_realm(default_signature_algorithm="ES256")
    key = store.signing_key(realm)
    assert (key["kty"], key["crv"], key["alg"]) == ("EC", "P-256", "ES256")
    assert key.has_private


def test_it_creates_one_key_however_often_it_is_asked():
    realm = make_realm()
    first = store.signing_key(realm)
    store.clear_caches()
    assert store.signing_key(realm)["kid"] == first["kid"]
    assert store.jwks(realm)["keys"][0]["kid"] == first["kid"]
    assert SigningKey.objects.filter(realm=realm).count() == 1


def test_it_serves_keys_from_the_process_cache(django_assert_num_queries):
    realm = make_realm()
    first = store.signing_key(realm)
    with django_assert_num_queries(0):
        assert store.signing_key(realm) is first
        assert store.jwks(realm)["keys"][0]["kid"] == first["kid"]


def test_it_signs_with_the_new_key_in_this_process_right_after_a_rotation():
    realm = make_realm()
    old = store.signing_key(realm)
    new = rotation.rotate(realm)
    assert store.signing_key(realm)["kid"] == new.kid != old["kid"]


def test_it_sees_a_rotation_made_by_another_process_within_the_cache_window():
    realm = make_realm()
    old = store.signing_key(realm)
    staged = rotation.stage(realm)
    assert store.signing_key(realm)["kid"] == old["kid"]
    # Another process's rotation: rows change, and this process gets no signal of it.
    SigningKey.objects.filter(kid=old["kid"]).update(state="retired")
    SigningKey.objects.filter(kid=staged.kid).update(state="active")
    assert store.signing_key(realm)["kid"] == old["kid"]
    with time_machine.travel(timezone.now() + timedelta(seconds=store.RING_SECONDS)):
        assert store.signing_key(realm)["kid"] == staged.kid


def test_it_serves_a_rotation_announced_by_another_process_within_a_poll():
    """Every node publishes a new key together: the rotation of another process (its rows
    change, no signal here) is heard through the announcement every process cache listens to."""
    realm = make_realm()
    with time_machine.travel(time.time(), tick=False) as clock:
        store.signing_key(realm)
        staged = rotation.stage(realm)
        old = store.signing_key(realm)
        assert old["kid"] != staged.kid
        SigningKey.objects.filter(kid=old["kid"]).update(state="retired")
        SigningKey.objects.filter(kid=staged.kid).update(state="active")
        cache.set(process_cache.GENERATION_KEY, "another-process-rotated", timeout=None)
        assert store.signing_key(realm)["kid"] == old["kid"]
        clock.shift(process_cache.POLL_SECONDS)
        assert store.signing_key(realm)["kid"] == staged.kid
        assert store.jwks(realm)["keys"][0]["kid"] == staged.kid


def test_it_keeps_the_private_key_encrypted_in_the_database():
    realm = make_realm()
    key = store.signing_key(realm)
    stored = SigningKey.objects.filter(realm=realm).values_list("private_jwk_encrypted", flat=True)[
        0
    ]
    assert stored.count(".") == 4  # a compact JWE: header.key.iv.ciphertext.tag
    assert key["d"] not in stored
    assert '"d"' not in stored and "PRIVATE KEY" not in stored
    public = SigningKey.objects.get(realm=realm).public_jwk
    assert "d" not in public


def test_it_refuses_a_key_encrypted_under_another_key_encryption_key():
    realm = make_realm()
    kid = store.signing_key(realm)["kid"]
    store.clear_caches()
    with (
        override_settings(AUTHSERVER_KEY_ENCRYPTION_KEY="another-key-encryption-key"),
        pytest.raises(KeyDecryptionError, match="cannot be decrypted with AUTHSERVER_KEY_ENC"),
    ):
        store.signing_key(realm)
    store.clear_caches()
    assert store.signing_key(realm)["kid"] == kid


def test_it_never_shows_private_material_in_a_key_row():
    realm = make_realm()
    key = store.signing_key(realm)
    row = SigningKey.objects.get(realm=realm)
    assert str(row) == f"{key['kid']} (RS256, active)"
    assert key["d"] not in repr(row)
