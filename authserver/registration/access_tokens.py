"""Initial access tokens (RFC 7591 §3) and registration access tokens (RFC 7592 §1): opaque,
random, kept as their SHA-256, found by it (a unique index), never shown twice."""

import hashlib
import secrets
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import Realm
from authserver.models import Client
from authserver.registration.models import ClientRegistration, InitialAccessToken

_MAX_LENGTH = 512


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def issue_initial(realm: Realm, *, count: int, lifetime: int) -> tuple[InitialAccessToken, str]:
    """A new initial access token for ``count`` registrations, ``lifetime`` seconds long (0:
    without end, as in Keycloak), and the token itself, to be shown once."""
    token = new_token()
    expires = timezone.now() + timedelta(seconds=lifetime) if lifetime else None
    record = InitialAccessToken.objects.create(
        realm=realm, token_hash=digest(token), expires=expires, count=count, remaining=count
    )
    return record, token


def spend_initial(realm: Realm, token: str | None) -> bool:
    """Take one registration from the realm's initial access token ``token``; False if it is
    unknown, of another realm, expired or spent. Call inside the registration's transaction,
    so that a refused registration spends nothing."""
    if not token or len(token) > _MAX_LENGTH:
        return False
    now = timezone.now()
    usable = InitialAccessToken.objects.filter(
        realm=realm, token_hash=digest(token), remaining__gt=0
    ).exclude(expires__lte=now)
    # One UPDATE: two registrations racing for the last use cannot both have it.
    return usable.update(remaining=F("remaining") - 1) == 1


def issue_registration(client: Client, metadata: dict | None = None) -> str:
    """A registration access token for ``client``, replacing any it had (and its registered
    metadata, when given)."""
    token = new_token()
    fields = {"token_hash": digest(token)} | ({"metadata": metadata} if metadata else {})
    ClientRegistration.objects.update_or_create(client=client, defaults=fields)
    return token


def registered_client(realm: Realm, client_id: str, token: str | None) -> Client | None:
    """The realm's client ``client_id`` if ``token`` is its current registration access token."""
    if not token or len(token) > _MAX_LENGTH:
        return None
    registration = (
        ClientRegistration.objects.filter(token_hash=digest(token))
        .select_related("client", "client__realm")
        .first()
    )
    if registration is None:
        return None
    client = registration.client
    if client.realm_id != realm.pk or client.client_id != client_id:
        return None
    return client
