"""The life of a signing key: published -> active -> retired -> purged.

A key is published (``stage``) before it signs, so that verifiers holding a cached JWKS already
know it when the first token signed with it arrives; ``rotate`` makes it the signing key and
retires the previous one, which stays published until every token it signed has expired;
``purge`` deletes retired keys past that time. Refresh and offline tokens are the exception:
they are valid by their stored record, not their signature (protocol/jwt.recorded_claims),
so an offline token outlives the key that signed it. These are the only writers of key states; the
process caches in ``store`` follow them through the model's save and delete signals.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Realm
from accounts.realms import for_realm
from authserver.keys import crypto
from authserver.keys.models import SigningKey

logger = logging.getLogger(__name__)

# Kept published a little past the longest token lifetime: other workers may sign with the old
# key for a few seconds after a rotation (store's cache), and servers' clocks drift.
_RETIREMENT_MARGIN = timedelta(seconds=60)


def stage(realm: Realm, *, now: datetime | None = None) -> SigningKey:
    """Publish a new key for the realm's signature algorithm without signing with it."""
    key = _create(realm, now=now or timezone.now())
    logger.info("realm %s: staged signing key %s (%s)", realm.name, key.kid, key.alg)
    return key


def rotate(realm: Realm, *, now: datetime | None = None) -> SigningKey:
    """Make the newest staged key (or a new one) the signing key; retire the previous one."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(realm)
        retire_after = now + max_token_lifetime(locked) + _RETIREMENT_MARGIN
        for previous in for_realm(SigningKey, locked).filter(state=SigningKey.State.ACTIVE):
            previous.state = SigningKey.State.RETIRED
            previous.retire_after = retire_after
            previous.save(update_fields=["state", "retire_after"])
            logger.info(
                "realm %s: retired signing key %s, published until %s",
                locked.name,
                previous.kid,
                retire_after.isoformat(),
            )
        return _activate(locked, now=now)


def ensure_signing_key(realm: Realm, *, now: datetime | None = None) -> SigningKey:
    """The realm's active key, activating the newest staged key or a new one if it has none."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(realm)
        active = for_realm(SigningKey, locked).filter(state=SigningKey.State.ACTIVE).first()
        return active or _activate(locked, now=now)


def purge(now: datetime | None = None) -> int:
    """Delete the retired keys of every realm whose tokens have all expired; the number deleted."""
    now = now or timezone.now()
    expired = SigningKey.objects.filter(state=SigningKey.State.RETIRED, retire_after__lte=now)
    deleted = expired.delete()[1].get(SigningKey._meta.label, 0)
    if deleted:
        logger.info("purged %d retired signing key(s)", deleted)
    return deleted


def max_token_lifetime(realm: Realm) -> timedelta:
    """The longest a token signed for ``realm`` stays valid: access tokens or the SSO session."""
    return timedelta(seconds=max(realm.access_token_lifespan, realm.sso_session_max_lifespan))


def _lock(realm: Realm) -> Realm:
    # Serializes rotations of one realm across workers: two would otherwise both activate a key.
    return Realm.objects.select_for_update().get(pk=realm.pk)


def _activate(realm: Realm, *, now: datetime) -> SigningKey:
    staged = (
        for_realm(SigningKey, realm)
        .filter(state=SigningKey.State.PUBLISHED, alg=realm.default_signature_algorithm)
        .order_by("-created", "-id")
        .first()
    )
    key = staged or _create(realm, now=now)
    key.state = SigningKey.State.ACTIVE
    key.activated = now
    key.save(update_fields=["state", "activated"])
    logger.info("realm %s: signing key %s (%s) now signs", realm.name, key.kid, key.alg)
    return key


def _create(realm: Realm, *, now: datetime) -> SigningKey:
    private_key = crypto.generate(realm.default_signature_algorithm)
    return SigningKey.objects.create(
        realm=realm,
        kid=private_key["kid"],
        alg=realm.default_signature_algorithm,
        public_jwk=crypto.public_jwk(private_key),
        private_jwk_encrypted=crypto.encrypt(private_key),
        state=SigningKey.State.PUBLISHED,
        created=now,
    )
