from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from authserver.keys import rotation, store
from authserver.keys.models import SigningKey
from tests.factories import make_realm
from tests.keys.conftest import published_kids, sign, verify_with_published_jwks

pytestmark = pytest.mark.django_db


def test_it_keeps_the_old_key_published_and_signs_with_the_new_one(client):
    realm = make_realm()
    old_token = sign(store.signing_key(realm))
    old_kid = store.signing_key(realm)["kid"]
    new = rotation.rotate(realm)
    assert store.signing_key(realm)["kid"] == new.kid != old_kid
    assert published_kids(client, realm) == [new.kid, old_kid]
    assert verify_with_published_jwks(client, realm, old_token)
    assert verify_with_published_jwks(client, realm, sign(store.signing_key(realm)))
    assert SigningKey.objects.get(kid=old_kid).state == "retired"


def test_it_publishes_a_staged_key_before_it_signs(client):
    realm = make_realm()
    signing = store.signing_key(realm)["kid"]
    staged = rotation.stage(realm)
    assert staged.state == "published"
    assert published_kids(client, realm) == [signing, staged.kid]
    assert store.signing_key(realm)["kid"] == signing
    assert rotation.rotate(realm).kid == staged.kid
    assert store.signing_key(realm)["kid"] == staged.kid


def test_it_activates_a_staged_key_of_the_realm_algorithm_only():
    realm = make_realm(default_signature_algorithm="RS256")
    store.signing_key(realm)
    staged_rsa = rotation.stage(realm)
    realm.default_signature_algorithm = "ES256"
    realm.save()
    new = rotation.rotate(realm)
    assert new.kid != staged_rsa.kid and new.alg == "ES256"
    assert store.signing_key(realm)["alg"] == "ES256"


def test_it_retires_a_key_when_every_token_it_signed_has_expired():
    realm = make_realm(access_token_lifespan=300, sso_session_max_lifespan=7200)
    old = store.signing_key(realm)["kid"]
    now = timezone.now()
    rotation.rotate(realm, now=now)
    retired = SigningKey.objects.get(kid=old)
    assert retired.retire_after - now >= timedelta(seconds=7200)
    assert retired.retire_after - now < timedelta(seconds=7200 + 300)


def test_it_drops_a_retired_key_from_the_jwks_after_its_time_and_purges_it(client):
    realm = make_realm(access_token_lifespan=60, sso_session_max_lifespan=600)
    old = store.signing_key(realm)["kid"]
    new = rotation.rotate(realm).kid
    retire_after = SigningKey.objects.get(kid=old).retire_after
    with time_machine.travel(retire_after - timedelta(seconds=1)):
        assert published_kids(client, realm) == [new, old]
        assert rotation.purge() == 0
    with time_machine.travel(retire_after + timedelta(seconds=1)):
        assert published_kids(client, realm) == [new]
        assert store.signing_key(realm)["kid"] == new
        assert rotation.purge() == 1
    assert list(SigningKey.objects.values_list("kid", flat=True)) == [new]


def test_it_purges_expired_keys_of_every_realm_and_nothing_else():
    first, second = make_realm(sso_session_max_lifespan=600), make_realm()
    for realm in (first, second):
        store.signing_key(realm)
        rotation.rotate(realm)
        rotation.stage(realm)
    later = timezone.now() + timedelta(days=30)
    assert rotation.purge(later) == 2
    assert set(SigningKey.objects.values_list("state", flat=True)) == {"active", "published"}
    assert SigningKey.objects.count() == 4


def test_it_keeps_one_active_key_per_realm():
    realm = make_realm()
    store.signing_key(realm)
    for _ in range(3):
        rotation.rotate(realm)
    assert SigningKey.objects.filter(realm=realm, state="active").count() == 1
    assert SigningKey.objects.filter(realm=realm, state="retired").count() == 3
    extra = rotation.stage(realm)
    extra.state = "active"
    with pytest.raises(IntegrityError), transaction.atomic():
        extra.save()


def test_it_orders_the_ring_active_first_then_newest():
    realm = make_realm()
    store.signing_key(realm)
    now = timezone.now()
    rotation.rotate(realm, now=now)
    staged = rotation.stage(realm, now=now + timedelta(seconds=1))
    states = [key.state for key in SigningKey.objects.filter(realm=realm)]
    assert states == ["active", "published", "retired"]
    assert [key["kid"] for key in store.jwks(realm)["keys"]][1] == staged.kid
