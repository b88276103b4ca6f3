"""Drop the ``varchar_pattern_ops`` twins of the other hashed lookups (accounts/like_indexes.py):
pushed authorization requests, device codes and the registration tokens, each written by a
request and found by the hash of what its client presents."""

from django.db import migrations

from accounts.like_indexes import dropper

HASHED_LOOKUPS = [
    ("authserver_pushedrequest", "uri_hash"),
    ("authserver_deviceauthorization", "device_code_hash"),
    ("authserver_deviceauthorization", "user_code_hash"),
    ("authserver_initialaccesstoken", "token_hash"),
    ("authserver_clientregistration", "token_hash"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("authserver", "0010_ps256_keys"),
    ]

    operations = [
        migrations.RunPython(dropper(HASHED_LOOKUPS), migrations.RunPython.noop, elidable=True),
    ]
