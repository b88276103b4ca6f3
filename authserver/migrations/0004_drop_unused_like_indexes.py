"""Drop the ``varchar_pattern_ops`` twins PostgreSQL gets of the token checksum and code indexes
(accounts/like_indexes.py): these columns hold hashes, found by equality only, and the twin was
119 MB at a million access tokens, against PostgreSQL's default 128 MB of shared buffers.
"""

from django.db import migrations

from accounts.like_indexes import dropper

# (table, column): what is only ever looked up by equality.
HASHED_LOOKUPS = [
    ("authserver_accesstoken", "token_checksum"),
    ("authserver_grant", "code"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("authserver", "0003_token_jti_without_index"),
    ]

    operations = [
        migrations.RunPython(dropper(HASHED_LOOKUPS), migrations.RunPython.noop, elidable=True),
    ]
