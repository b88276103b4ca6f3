"""The only reader of private signing keys, and the source of every realm's JWKS.

Each process keeps a realm's key set for ``RING_SECONDS`` and each parsed private key for as
long as it is in a key set, so no request parses or decrypts a key. A rotation in this process
invalidates the realm's key set at once (save and delete signals of SigningKey); other
processes see it within ``RING_SECONDS``.
"""

import functools
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from jwcrypto.jwk import JWK

from accounts.models import Realm
from accounts.realms import for_realm
from authserver.keys import crypto, rotation
from authserver.keys.models import SigningKey

RING_SECONDS = 5
# How long verifiers may cache a JWKS: shorter than a key is staged before it signs, so that a
# verifier honouring the cache already holds the key when the first token signed with it arrives.
JWKS_MAX_AGE = 300

# RFC 7518 sections 6.2.1 and 6.3.1: the public members, by key type. A whitelist, so that no
# private member (d, p, q, dp, dq, qi, oth) can reach the JWKS whatever was stored.
_PUBLIC_MEMBERS = {"RSA": ("n", "e"), "EC": ("crv", "x", "y")}


@dataclass(frozen=True)
class _Entry:
    kid: str
    alg: str
    state: str
    public_jwk: dict
    retire_after: datetime | None
    ciphertext: str = field(repr=False)

    def published_at(self, now: datetime) -> bool:
        return self.retire_after is None or self.retire_after > now


@dataclass(frozen=True)
class _Ring:
    loaded: float
    entries: tuple[_Entry, ...]


_rings: dict[int, _Ring] = {}
_private_keys: dict[str, JWK] = {}
_public_keys: dict[str, JWK] = {}


def signing_key(realm: Realm) -> JWK:
    """The private key the realm signs with now (its kid, alg and use set); do not mutate it.

    A realm without an active key gets one, for its default signature algorithm.
    """
    active = next(entry for entry in _ring(realm) if entry.state == SigningKey.State.ACTIVE)
    key = _private_keys.get(active.kid)
    if key is None:
        key = _private_keys[active.kid] = crypto.decrypt(active.ciphertext, kid=active.kid)
    return key


def jwks(realm: Realm) -> dict:
    """The realm's JWK Set (RFC 7517 section 5): the public half of every key a verifier may
    meet (staged, signing, and retired until their tokens expire), the signing key first.
    """
    now = timezone.now()
    return {"keys": [_public(entry) for entry in _ring(realm) if entry.published_at(now)]}


def verification_key(realm: Realm, kid: str | None) -> JWK | None:
    """The public key published under ``kid`` for this realm, or None (unknown, retired past
    its time, or another realm's). Parsed once per process."""
    if not kid:
        return None
    now = timezone.now()
    for entry in _ring(realm):
        if entry.kid == kid and entry.published_at(now):
            key = _public_keys.get(kid)
            if key is None:
                key = _public_keys[kid] = JWK(**_public(entry))
            return key
    return None


def clear_caches() -> None:
    """Forget every cached key set and parsed key (tests; a changed key-encryption key)."""
    _rings.clear()
    _private_keys.clear()
    _public_keys.clear()


def _ring(realm: Realm) -> tuple[_Entry, ...]:
    now = time.time()
    ring = _rings.get(realm.pk)
    # A clock set back also reloads: a cache must not outlive its window by a clock change.
    if ring is None or not 0 <= now - ring.loaded < RING_SECONDS:
        ring = _load(realm, now)
    return ring.entries


def _load(realm: Realm, loaded: float) -> _Ring:
    entries = _query(realm)
    if not any(entry.state == SigningKey.State.ACTIVE for entry in entries):
        rotation.ensure_signing_key(realm)
        entries = _query(realm)
    ring = _rings[realm.pk] = _Ring(loaded, entries)
    # Parsed keys live only as long as a cached key set names them: purged keys leave memory.
    known = {entry.kid for cached in list(_rings.values()) for entry in cached.entries}
    for kid in set(_private_keys) - known:
        _private_keys.pop(kid, None)
    for kid in set(_public_keys) - known:
        _public_keys.pop(kid, None)
    return ring


def _query(realm: Realm) -> tuple[_Entry, ...]:
    expired = Q(state=SigningKey.State.RETIRED, retire_after__lte=timezone.now())
    rows = for_realm(SigningKey, realm).exclude(expired)
    return tuple(
        _Entry(
            kid=row.kid,
            alg=row.alg,
            state=row.state,
            public_jwk=row.public_jwk,
            retire_after=row.retire_after,
            ciphertext=row.private_jwk_encrypted,
        )
        for row in rows
    )


def _public(entry: _Entry) -> dict:
    kty = entry.public_jwk["kty"]
    members = {name: entry.public_jwk[name] for name in _PUBLIC_MEMBERS[kty]}
    return {"kid": entry.kid, "kty": kty, "alg": entry.alg, "use": "sig", **members}


def _forget(realm_id: int) -> None:
    _rings.pop(realm_id, None)


@receiver(post_save, sender=SigningKey, dispatch_uid="authserver.keys.store.saved")
@receiver(post_delete, sender=SigningKey, dispatch_uid="authserver.keys.store.deleted")
def _key_changed(sender, instance, using, **kwargs):
    # Now, for this thread; and after the commit, so that no other thread of this process keeps
    # a key set it read before the change was committed.
    _forget(instance.realm_id)
    transaction.on_commit(functools.partial(_forget, instance.realm_id), using=using)
