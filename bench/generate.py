"""Volume for the scale test: clients, users and what they were issued, in PostgreSQL, by COPY.

    DATABASE_URL=postgres://... python bench/generate.py [--scale 1.0] [--realm bench-scale]

At scale 1.0: 100,000 clients, 1,000,000 users, and 1,000,000 of each thing the server keeps per
grant: SSO sessions, token families (the one row per code or refresh grant that refresh,
introspection and UserInfo read), authorization codes (spent ones stay, to recognise a replay)
and stored access tokens (token exchange's); about half of them expired or ended. They are in a
realm of their own, in the same tables the bench realms use, so that every lookup of the
benchmark runs against tables of that size. Re-running adds another batch under new names.
The rows are what the server writes (hashed secrets and passwords, token checksums, not
tokens); every user shares one password hash, since hashing a million passwords with Argon2id
would take hours and tells nothing about lookups. See docs/performance.md for timings.
"""

import argparse
import hashlib
import os
import secrets
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authserver.settings")

FULL = {
    "clients": 100_000,
    "users": 1_000_000,
    "sessions": 1_000_000,
    "families": 1_000_000,
    "codes": 1_000_000,
    "tokens": 1_000_000,
}
BATCH = 50_000


def _columns(model, row: dict) -> tuple[list[str], list]:
    """Column names and a template row: given values, else each field's default or empty."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(field.column)
        if field.attname in row:
            values.append(row[field.attname])
        elif field.has_default():
            values.append(field.get_default)
        elif field.null:
            values.append(None)
        else:
            values.append("")
    return names, values


def copy_rows(model, rows) -> int:
    """COPY ``rows`` (dicts of attname -> value) into the model's table; callables in a row (or
    defaults such as uuid4) are called per row. Returns the number of rows."""
    from django.db import connection
    from psycopg.types.json import Jsonb

    count = 0
    names = None
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for batch in _batches(rows, BATCH):
            names, template = _columns(model, batch[0])
            column_list = ", ".join(f'"{name}"' for name in names)
            with raw.copy(f'COPY "{model._meta.db_table}" ({column_list}) FROM STDIN') as copy:
                for row in batch:
                    values = []
                    for default, field in zip(template, _fields(model), strict=True):
                        value = row.get(field.attname, default)
                        if callable(value):
                            value = value()
                        if field.get_internal_type() == "JSONField":
                            value = Jsonb(value)
                        values.append(value)
                    copy.write_row(values)
                    count += 1
    return count


def _fields(model):
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _batches(rows, size):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _checksum() -> str:
    return hashlib.sha256(secrets.token_bytes(16)).hexdigest()


def _pick(ids: list, number: int):
    return ids[number % len(ids)]


def generate(
    *,
    clients: int,
    users: int,
    sessions: int,
    families: int,
    codes: int,
    tokens: int,
    realm_name: str,
) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Realm, User, UserSession
    from authserver.models import AccessToken, Client, Grant, RefreshToken
    from authserver.realmfile import credentials

    if connection.vendor != "postgresql":
        sys.exit("the scale test is for PostgreSQL: set DATABASE_URL")
    realm, _ = Realm.objects.get_or_create(name=realm_name, defaults={"enabled": True})
    batch = secrets.token_hex(4)  # names of this run, so that a second run adds, not collides
    now = timezone.now()
    live, expired = now + timedelta(hours=1), now - timedelta(hours=1)
    timings = {}

    def copy(name: str, model, rows) -> list:
        """COPY ``rows`` into ``model``'s table, timed; the keys of this run's rows, in order."""
        started = time.perf_counter()
        with transaction.atomic():
            copy_rows(model, rows)
        timings[name] = time.perf_counter() - started
        mine = {
            Client: {"realm": realm, "client_id__startswith": f"scale-{batch}-"},
            User: {"realm": realm, "username__startswith": f"scale-{batch}-"},
            UserSession: {"realm": realm, "user_agent": f"scale-{batch}"},
        }.get(model)
        if mine is None:
            return []
        return list(model.objects.filter(**mine).order_by("pk").values_list("pk", flat=True))

    secret = credentials.hash_client_secret("scale-client-secret-" + "x" * 32)
    client_ids = copy(
        "clients",
        Client,
        (
            {
                "realm_id": realm.pk,
                "client_id": f"scale-{batch}-{number}",
                "name": f"Scale client {number}",
                "client_type": Client.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Client.GRANT_CLIENT_CREDENTIALS,
                "client_secret": secret,
                "service_accounts_enabled": True,
                "standard_flow_enabled": False,
                "attributes": {},
                "created": now,
                "updated": now,
            }
            for number in range(clients)
        ),
    )
    password = make_password("Scale-password-1")
    user_ids = copy(
        "users",
        User,
        (
            {
                "realm_id": realm.pk,
                "username": f"scale-{batch}-{number}",
                "email": f"scale-{batch}-{number}@example.com",
                "password": password,
                "subject": uuid.uuid4,
                "date_joined": now,
            }
            for number in range(users)
        ),
    )
    copy(
        "tokens",
        AccessToken,
        (
            {
                "user_id": _pick(user_ids, number),
                "application_id": _pick(client_ids, number),
                "token": "",
                "token_checksum": _checksum(),
                "jti": str(uuid.uuid4()),
                "expires": live if number % 2 else expired,
                "scope": "openid profile",
                "created": now,
                "updated": now,
            }
            for number in range(tokens)
        ),
    )
    session_ids = copy(
        "sessions",
        UserSession,
        (
            {
                "realm_id": realm.pk,
                "user_id": _pick(user_ids, number),
                "key_hash": _checksum(),
                "started": now - timedelta(minutes=5),
                "last_seen": now,
                "ended": now if number % 2 else None,
                "user_agent": f"scale-{batch}",  # finds this run's sessions again
            }
            for number in range(sessions)
        ),
    )
    copy(
        "families",
        RefreshToken,
        (
            {
                "user_id": _pick(user_ids, number),
                "application_id": _pick(client_ids, number),
                "session_id": _pick(session_ids, number),
                "token": "",
                "token_checksum": _checksum(),
                "token_family": (family := uuid.uuid4()),
                "jti": f"{family}.{number % 7}",
                "offline": number % 4 == 0,
                "expires": live if number % 2 else expired,
                "revoked": now if number % 5 == 0 else None,
                "created": now,
                "updated": now,
            }
            for number in range(families)
        ),
    )
    copy(
        "codes",
        Grant,
        (
            {
                "user_id": _pick(user_ids, number),
                "application_id": _pick(client_ids, number),
                "session_id": _pick(session_ids, number),
                "code": _checksum(),
                "expires": live if number % 2 else expired,
                "redirect_uri": "https://scale.example.com/callback",
                "scope": "openid profile",
                "used_at": now if number % 2 == 0 else None,
                "created": now,
                "updated": now,
            }
            for number in range(codes)
        ),
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Client, User, AccessToken, UserSession, RefreshToken, Grant):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    timings["analyze"] = time.perf_counter() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the issue's volume")
    parser.add_argument("--realm", default="bench-scale")
    options = parser.parse_args()
    import django

    django.setup()
    counts = {name: max(1, int(count * options.scale)) for name, count in FULL.items()}
    started = time.perf_counter()
    timings = generate(realm_name=options.realm, **counts)
    total = time.perf_counter() - started
    for name, seconds in timings.items():
        rows = counts.get(name)
        rate = f" ({rows / seconds:,.0f} rows/s)" if rows else ""
        print(f"{name:<8} {rows or '':>10} {seconds:8.1f} s{rate}")
    print(f"total    {total:.1f} s")


if __name__ == "__main__":
    main()
