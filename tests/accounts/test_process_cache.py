"""accounts/process_cache: what each request gets of a kept model instance, and how other
processes hear of a change."""

import contextlib
import time

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts import process_cache
from accounts.models import Realm
from accounts.process_cache import instance_copy
from accounts.realms import cached_realm_or_404
from authserver.models import Client
from tests import interpreter
from tests.factories import make_client, make_realm, make_user

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


# --- Other processes hear of a change (GENERATION_KEY) ---------------------------------------


class _RolledBack(Exception):
    pass


def test_a_saved_change_is_announced_after_its_commit(django_capture_on_commit_callbacks):
    realm = make_realm()
    before = cache.get(process_cache.GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        realm.display_name = "Renamed"
        realm.save()
        make_client(realm, client_id="another")
        assert cache.get(process_cache.GENERATION_KEY) == before
    announced = cache.get(process_cache.GENERATION_KEY)
    assert announced is not None and announced != before


def test_a_rolled_back_change_is_not_announced(django_capture_on_commit_callbacks):
    realm = make_realm()
    before = cache.get(process_cache.GENERATION_KEY)
    with (
        django_capture_on_commit_callbacks(execute=True),
        contextlib.suppress(_RolledBack),
        transaction.atomic(),
    ):
        realm.display_name = "Never"
        realm.save()
        raise _RolledBack
    assert cache.get(process_cache.GENERATION_KEY) == before


def test_a_process_drops_what_it_keeps_when_another_announces_a_change():
    realm = make_realm(display_name="Before")
    with time_machine.travel(time.time(), tick=False) as clock:
        assert cached_realm_or_404(realm.name).display_name == "Before"
        # Another process: its change (update() sends no signal here), then its announcement.
        Realm.objects.filter(pk=realm.pk).update(display_name="After")
        cache.set(process_cache.GENERATION_KEY, "another-process", timeout=None)
        assert cached_realm_or_404(realm.name).display_name == "Before"
        clock.shift(process_cache.POLL_SECONDS)
        assert cached_realm_or_404(realm.name).display_name == "After"


def test_a_process_drops_what_it_keeps_when_the_announcement_is_gone():
    """A flushed or restarted Redis may have taken another process's announcement with it
    before this process read it: the key gone counts as a change."""
    realm = make_realm(display_name="Before")
    with time_machine.travel(time.time(), tick=False) as clock:
        cache.set(process_cache.GENERATION_KEY, "seen-by-this-process", timeout=None)
        assert cached_realm_or_404(realm.name).display_name == "Before"
        Realm.objects.filter(pk=realm.pk).update(display_name="After")
        cache.set(process_cache.GENERATION_KEY, "another-process", timeout=None)
        cache.delete(process_cache.GENERATION_KEY)
        clock.shift(process_cache.POLL_SECONDS)
        assert cached_realm_or_404(realm.name).display_name == "After"
        # Once: with the key still gone, what is kept is kept.
        Realm.objects.filter(pk=realm.pk).update(display_name="Later")
        clock.shift(process_cache.POLL_SECONDS)
        assert cached_realm_or_404(realm.name).display_name == "After"


WIRING_CHECK = """
import django, sys
django.setup()
from accounts import process_cache
print(sorted(kept.name for kept in process_cache._all))
"""


def test_every_process_watches_every_cache_from_the_start(tmp_path):
    """A management command or a shell, which imports no view, announces its changes too."""
    printed = interpreter.output_of(
        WIRING_CHECK,
        DJANGO_SETTINGS_MODULE="authserver.settings",
        AUTHSERVER_VAR_DIR=str(tmp_path),
    )
    assert printed == repr(
        ["directory.clients", "directory.roles", "discovery", "keys.rings", "realms"]
    )


def test_what_a_login_writes_is_not_announced(django_capture_on_commit_callbacks):
    realm = make_realm()
    user = make_user(realm)
    before = cache.get(process_cache.GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        user.last_login = timezone.now()
        user.set_password("Another-horse-7")
        user.save(update_fields=["last_login", "password"])
    assert cache.get(process_cache.GENERATION_KEY) == before
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save(update_fields=["is_active"])
    assert cache.get(process_cache.GENERATION_KEY) != before
