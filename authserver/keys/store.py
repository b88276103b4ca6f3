"""The only reader of private signing keys, and the source of every realm's JWKS.

Each process keeps a realm's key set for ``RING_SECONDS`` and each parsed private key for as
long as its realm's key set names it, so no request parses or decrypts a key. The key sets are
a process cache (accounts/process_cache.py) watching SigningKey: a rotation in this process is
seen at once, and every other process, on this machine or another sharing Redis, hears of it
through the same announcement as a changed realm or client (within half a second), so that all
nodes publish a new key together. Without Redis, ``RING_SECONDS`` bounds the delay.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from jwcrypto.jwk import JWK

from accounts.models import Realm
from accounts.process_cache import ProcessCache
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


_rings = ProcessCache("keys.rings", seconds=RING_SECONDS, max_entries=10_000)
_rings.forget_on_change(SigningKey)
# Parsed keys by kid, with the realm whose key set named them: reloading a realm's key set
# drops its keys that left it (purged ones leave memory), and no other realm's.
_private_keys: dict[str, tuple[int, JWK]] = {}
_public_keys: dict[str, tuple[int, JWK]] = {}


def signing_key(realm: Realm) -> JWK:
    """The private key the realm signs with now (its kid, alg and use set); do not mutate it.

    A realm without an active key gets one, for its default signature algorithm.
    """
    active = next(entry for entry in _ring(realm) if entry.state == SigningKey.State.ACTIVE)
    kept = _private_keys.get(active.kid)
    if kept is None:
        kept = _private_keys[active.kid] = (
            realm.pk,
            crypto.decrypt(active.ciphertext, kid=active.kid),
        )
    return kept[1]


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
            kept = _public_keys.get(kid)
            if kept is None:
                kept = _public_keys[kid] = (realm.pk, JWK(**_public(entry)))
            return kept[1]
    return None


def clear_caches() -> None:
    """Forget every cached key set and parsed key (tests; a changed key-encryption key)."""
    _rings.clear()
    _private_keys.clear()
    _public_keys.clear()


def _ring(realm: Realm) -> tuple[_Entry, ...]:
    return _rings.get(realm.pk, lambda: _load(realm))


def _load(realm: Realm) -> tuple[_Entry, ...]:
    entries = _query(realm)
    if not any(entry.state == SigningKey.State.ACTIVE for entry in entries):
        rotation.ensure_signing_key(realm)
        entries = _query(realm)
    named = {entry.kid for entry in entries}
    for parsed in (_private_keys, _public_keys):
        for kid, (realm_id, _key) in list(parsed.items()):
            if realm_id == realm.pk and kid not in named:
                parsed.pop(kid, None)
    return entries


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
