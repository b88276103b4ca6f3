"""Drop the ``varchar_pattern_ops`` twins of the SSO session's key hash, the action token's hash
and the event type (accounts/like_indexes.py). A login writes a session and an event: at a
million sessions the key hash's twin alone was 119 MB, written by every login beside the unique
index that every lookup uses. Event types are filtered whole (Keycloak's ``type=LOGIN``)."""

from django.db import migrations

from accounts.like_indexes import dropper

EQUALITY_LOOKUPS = [
    ("accounts_usersession", "key_hash"),
    ("accounts_actiontoken", "token_hash"),
    ("accounts_event", "type"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0017_console_totp_devices_sealed"),
    ]

    operations = [
        migrations.RunPython(dropper(EQUALITY_LOOKUPS), migrations.RunPython.noop, elidable=True),
    ]
