"""Drop the ``varchar_pattern_ops`` twins PostgreSQL gets of the token checksum and code indexes.

Django gives every indexed or unique ``CharField`` a second index on PostgreSQL, for ``LIKE``
queries outside the C locale. These columns hold hashes, found by equality only, which the
unique index serves: the twin was only written on every INSERT and kept in memory beside it
(119 MB at a million access tokens, against PostgreSQL's default 128 MB of shared buffers).
An ``AlterField`` of these fields in a later migration may create it again; run this again then.
"""

from django.db import migrations

# (table, column): what is only ever looked up by equality.
HASHED_LOOKUPS = [
    ("authserver_accesstoken", "token_checksum"),
    ("authserver_grant", "code"),
]


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, column in HASHED_LOOKUPS:
            cursor.execute(
                "SELECT indexname FROM pg_indexes"
                " WHERE schemaname = current_schema() AND tablename = %s AND indexdef LIKE %s",
                [table, f"%({column} varchar_pattern_ops)%"],
            )
            for (name,) in cursor.fetchall():
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("authserver", "0003_token_jti_without_index"),
    ]

    operations = [
        migrations.RunPython(drop_like_indexes, migrations.RunPython.noop, elidable=True),
    ]
