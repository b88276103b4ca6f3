"""The token and code tables' indexes on PostgreSQL: their hashed lookups use the unique index,
and carry no LIKE twin (migration 0004)."""

import pytest
from django.db import connection

from authserver.models import AccessToken, Grant

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the LIKE twin indexes exist on PostgreSQL only"
    ),
]

LOOKUPS = [(AccessToken, "token_checksum"), (Grant, "code")]


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
