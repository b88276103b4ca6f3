"""accounts/process_cache.instance_copy: what each request gets of a kept model instance."""

import pytest

from accounts.process_cache import instance_copy
from authserver.models import Client
from tests.factories import make_client, make_realm

pytestmark = pytest.mark.django_db


def _kept() -> Client:
    realm = make_realm()
    make_client(realm, client_id="kept", name="Kept")
    return Client.objects.select_related("realm").get(client_id="kept")


def test_a_copy_set_on_leaves_the_kept_instance_as_it_was():
    kept = _kept()
    twin = instance_copy(kept)
    twin.name = "Changed"
    twin.scope_names = ["set", "by", "a", "request"]
    assert kept.name == "Kept"
    assert not hasattr(kept, "scope_names")


def test_a_copy_has_its_own_related_object_cache_and_shares_the_objects_in_it(
    django_assert_num_queries,
):
    kept = _kept()
    twin = instance_copy(kept)
    with django_assert_num_queries(0):
        assert twin.realm is kept.realm
    twin.realm = make_realm()
    assert kept.realm.pk != twin.realm.pk


def test_a_copy_is_the_same_row():
    kept = _kept()
    twin = instance_copy(kept)
    assert twin == kept
    assert twin._state.db == kept._state.db
    assert twin._state.adding is False
    twin.name = "Saved"
    twin.save(update_fields=["name"])
    assert Client.objects.get(pk=kept.pk).name == "Saved"
