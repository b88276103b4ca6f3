"""Console accounts' authenticators are sealed at rest, as realm users' are: the devices
django-otp's TOTPDevice kept in clear move, sealed, by a migration that deletes the clear
copies; the superusers' console page shows them without their key."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_otp.oath import totp

from accounts import console_otp, sealed
from accounts.models import ConsoleTOTPDevice

pytestmark = pytest.mark.django_db

MIGRATION = "0017_console_totp_devices_sealed"
OLD_KEY = "3132333435363738393031323334353637383930"
CREDENTIALS = {"username": "root", "password": "Root-Password-1", "next": "/admin/"}


def _old_table_with(root) -> None:
    """django-otp's otp_totp table as an installation that had it holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer PRIMARY KEY, user_id bigint, "
            "name varchar(64), confirmed boolean, key varchar(80), step smallint, t0 bigint, "
            "digits smallint, tolerance smallint, drift smallint, last_t bigint, "
            "throttling_failure_timestamp timestamp with time zone NULL, "
            "throttling_failure_count integer, created_at timestamp with time zone NULL, "
            "last_used_at timestamp with time zone NULL)"
        )
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES "
            "(7, %s, 'phone', %s, %s, 30, 0, 6, 1, 0, -1, NULL, 0, NULL, NULL)",
            [root.pk, True, OLD_KEY],
        )


def test_the_migration_seals_the_devices_kept_in_clear(client, root):
    _old_table_with(root)
    module = importlib.import_module(f"accounts.migrations.{MIGRATION}")
    state = MigrationExecutor(connection).loader.project_state(("accounts", MIGRATION))
    # The step reads and writes through the editor's connection only.
    editor = type("SchemaEditor", (), {"connection": connection})()
    module.seal_console_devices(state.apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0
    device = ConsoleTOTPDevice.objects.get(user=root)
    assert device.name == "phone" and device.confirmed and device.last_t == -1
    assert OLD_KEY not in device.key_sealed and sealed.unseal(device.key_sealed) == OLD_KEY
    # The authenticator the user has goes on working.
    code = f"{totp(bytes.fromhex(OLD_KEY), 30, 0, 6):06d}"
    answer = client.post("/admin/login/", {**CREDENTIALS, "otp_token": code})
    assert answer.status_code == 302 and client.get("/admin/").status_code == 200


def test_the_console_lists_them_without_their_key(console, root):
    device = console_otp.create(root, name="phone")
    index = console.get("/admin/").content.decode()
    assert "Console two-factor devices" in index
    page = console.get(f"/admin/accounts/consoletotpdevice/{device.pk}/change/").content.decode()
    key = console_otp.key_of(device)
    assert "phone" in page and key.hex() not in page and device.key_sealed not in page
    assert console.get("/admin/accounts/consoletotpdevice/add/").status_code == 403
    response = console.post(
        f"/admin/accounts/consoletotpdevice/{device.pk}/change/", {"name": "old phone"}
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.name == "old phone" and not device.confirmed
