"""Re-encrypting every stored private signing key under another key-encryption key.

All or nothing: every row is locked, read with one of the readable key-encryption keys, written
under the target one and read back, in one transaction; one key that cannot be read leaves
every row as it was. The keys themselves do not change: same kid, same public half, same
signatures. The secrets sealed under a key derived from the same key-encryption key
(accounts/sealed.py: realm users' and console accounts' TOTP seeds, realms' SMTP passwords,
mail waiting in the outbox) move with them, in the same transaction. Client secrets, tokens
and codes are stored as hashes.
"""

from dataclasses import dataclass

from django.db import transaction
from jwcrypto.jwe import InvalidJWEData

from accounts import sealed
from accounts.models import ConsoleTOTPDevice, OTPDevice, OutgoingMail, Realm
from authserver.keys import crypto, store
from authserver.keys.models import SigningKey

# Every column holding a secret sealed by accounts.sealed.
SEALED = (
    (OTPDevice, "secret_sealed"),
    (Realm, "smtp_password_sealed"),
    (OutgoingMail, "message_sealed"),
    (ConsoleTOTPDevice, "key_sealed"),
)


@dataclass(frozen=True)
class Outcome:
    reencrypted: int
    already: int
    resealed: int = 0


def reencrypt_all(*, target: str, readable: list[str]) -> Outcome:
    """Every signing key of every realm under ``target``; ``readable``: the secrets of the
    key-encryption keys the stored ciphertexts may be under. Raises KeyDecryptionError (and
    changes nothing) if a key cannot be read."""
    target_fingerprint = crypto.fingerprint(target)
    changed = []
    already = 0
    with transaction.atomic():
        for key in SigningKey.objects.select_for_update().order_by("pk"):
            if crypto.encrypted_under(key.private_jwk_encrypted) == target_fingerprint:
                crypto.decrypt(key.private_jwk_encrypted, kid=key.kid, secrets=[target])
                already += 1
                continue
            private = crypto.decrypt(key.private_jwk_encrypted, kid=key.kid, secrets=readable)
            key.private_jwk_encrypted = crypto.encrypt(private, secret=target)
            crypto.decrypt(key.private_jwk_encrypted, kid=key.kid, secrets=[target])
            changed.append(key)
        SigningKey.objects.bulk_update(changed, ["private_jwk_encrypted"])
        resealed = sum(_reseal(model, field, target, readable) for model, field in SEALED)
    # This process's parsed keys are still right; other processes keep theirs until they
    # reload the ring, and read the new ciphertexts with the key they are configured with.
    store.clear_caches()
    return Outcome(reencrypted=len(changed), already=already, resealed=resealed)


def _reseal(model, field: str, target: str, readable: list[str]) -> int:
    rows = list(model.objects.select_for_update().exclude(**{field: ""}).order_by("pk"))
    try:
        for row in rows:
            value = sealed.reseal(getattr(row, field), target=target, readable=readable)
            setattr(row, field, value)
    except InvalidJWEData:
        raise crypto.KeyDecryptionError(
            f"a {model._meta.verbose_name} secret cannot be read with the configured keys"
        ) from None
    model.objects.bulk_update(rows, [field])
    return len(rows)
