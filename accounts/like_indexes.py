"""Dropping the ``varchar_pattern_ops`` twins PostgreSQL gets of indexed text columns.

Django gives every indexed or unique ``CharField`` a second index on PostgreSQL, for ``LIKE``
queries outside the C locale. A column holding a hash, or a name always compared whole, is found
by equality only, which the first index serves: its twin is only written on every INSERT and
kept in memory beside it. Migrations call this; an ``AlterField`` of such a field in a later
migration may create the twin again, and should drop it again then.
"""


def dropper(lookups: list[tuple[str, str]]):
    """A ``RunPython`` function dropping the twins of ``lookups``, (table, column) pairs; on
    other databases it does nothing."""

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for table, column in lookups:
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                    " AND tablename = %s AND indexdef LIKE %s",
                    [table, f"%({column} varchar_pattern_ops)%"],
                )
                for (name,) in cursor.fetchall():
                    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    return drop
