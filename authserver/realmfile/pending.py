"""A realm file read for the console's preview, kept until the operator confirms or cancels it.

What is kept is the read realm (schema values), never the uploaded text, with every password and
client secret already hashed, so that no credential rests anywhere in clear. It lives in the
shared cache (Redis, or files under var/ without it: every worker sees it), one per operator,
under a random token that the preview page carries, for ``EXPIRY`` at most: confirming takes it
away, cancelling drops it, and past its time it is dropped when next asked for.
"""

import hashlib
import json
import secrets
from dataclasses import replace
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.cache import caches
from django.utils import timezone

from authserver.realmfile import credentials
from authserver.realmfile.schema import ClientSpec, RealmSpec, UserSpec

EXPIRY = timedelta(minutes=10)


def _cache():
    return caches["shared"]


def _key(operator_id: int) -> str:
    return f"console:realm-import:{operator_id}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def without_plaintext(spec: RealmSpec) -> RealmSpec:
    """``spec`` with each password and client secret given in clear replaced by its hash, as
    the import would store it."""
    return replace(
        spec,
        clients=tuple(_hashed_client(client) for client in spec.clients),
        users=tuple(_hashed_user(user) for user in spec.users),
    )


def with_fresh_secrets(spec: RealmSpec) -> tuple[RealmSpec, tuple[tuple[str, str], ...]]:
    """``spec`` with a new secret for each client whose file had none (or a masked one), and
    those secrets in clear (``clients[i] "client-id"``, secret), to be shown once. Made at the
    confirmation, so that the one shown is the one imported and none waits in the cache."""
    clients, shown = [], []
    for client in spec.clients:
        if client.generated_secret:
            secret = credentials.new_client_secret()
            client = replace(
                client, secret=None, hashed_secret=credentials.hash_client_secret(secret)
            )
            shown.append((f"{client.path} {json.dumps(client.client_id)}", secret))
        clients.append(client)
    return replace(spec, clients=tuple(clients)), tuple(shown)


def _hashed_client(client: ClientSpec) -> ClientSpec:
    if client.secret is None:
        return client
    return replace(client, secret=None, hashed_secret=credentials.hash_client_secret(client.secret))


def _hashed_user(user: UserSpec) -> UserSpec:
    if user.password is None or user.password.plain is None:
        return user
    encoded = make_password(user.password.plain)
    return replace(user, password=replace(user.password, plain=None, encoded=encoded))


def keep(operator_id: int, spec: RealmSpec) -> str:
    """Keep ``spec`` (hashed) for ``operator_id``, in place of any earlier one; the token that
    confirms it."""
    token = secrets.token_urlsafe(32)
    entry = {
        "token": _digest(token),
        "at": timezone.now().timestamp(),
        "realm": without_plaintext(spec),
    }
    # The cache's own expiry is a backstop; the time kept in the entry is what is checked.
    _cache().set(_key(operator_id), entry, timeout=int(EXPIRY.total_seconds()) + 60)
    return token


def take(operator_id: int, token: str) -> RealmSpec | None:
    """The realm kept for ``operator_id`` under ``token``, dropped from the store; None when
    there is none, it has expired (then dropped too), or the token is another."""
    entry = _cache().get(_key(operator_id))
    if entry is None:
        return None
    if timezone.now().timestamp() - entry["at"] > EXPIRY.total_seconds():
        drop(operator_id)
        return None
    if not secrets.compare_digest(entry["token"], _digest(token)):
        return None
    # Of two confirmations at once, only the one that removes the entry imports it.
    if not _cache().delete(_key(operator_id)):
        return None
    return entry["realm"]


def drop(operator_id: int) -> None:
    _cache().delete(_key(operator_id))
