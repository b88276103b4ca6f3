"""Indexes on PostgreSQL of what is looked up by a hash: the unique index serves the lookup, and
there is no LIKE twin (accounts/like_indexes.py, migrations authserver 0004 and 0011, accounts
0018)."""

import pytest
from django.db import connection

from accounts.models import ActionToken, Event, UserSession
from authserver.device.models import DeviceAuthorization
from authserver.models import AccessToken, Grant
from authserver.par.models import PushedRequest
from authserver.registration.models import ClientRegistration, InitialAccessToken

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the LIKE twin indexes exist on PostgreSQL only"
    ),
]

LOOKUPS = [
    (AccessToken, "token_checksum"),
    (Grant, "code"),
    (UserSession, "key_hash"),
    (ActionToken, "token_hash"),
    (PushedRequest, "uri_hash"),
    (DeviceAuthorization, "device_code_hash"),
    (DeviceAuthorization, "user_code_hash"),
    (InitialAccessToken, "token_hash"),
    (ClientRegistration, "token_hash"),
]


def _indexes(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return [definition for (definition,) in cursor.fetchall()]


@pytest.mark.parametrize(("model", "column"), LOOKUPS)
def test_a_hashed_lookup_column_has_its_unique_index_and_no_pattern_ops_twin(model, column):
    definitions = _indexes(model._meta.db_table)
    assert [d for d in definitions if "UNIQUE" in d and d.endswith(f"({column})")]
    assert not [d for d in definitions if "pattern_ops" in d and f"({column} " in d]


@pytest.mark.parametrize(("model", "column"), LOOKUPS)
def test_a_lookup_by_hash_is_an_index_scan(model, column):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = model.objects.filter(**{column: "0" * 64}).explain()
        finally:
            cursor.execute("RESET enable_seqscan")
    assert "Index Scan" in plan or "Index Only Scan" in plan


def test_the_event_type_keeps_its_index_and_loses_its_pattern_ops_twin():
    definitions = _indexes(Event._meta.db_table)
    assert [d for d in definitions if "pattern_ops" not in d and d.endswith("(type)")]
    assert not [d for d in definitions if "pattern_ops" in d and "(type " in d]
