"""Re-encrypting every stored private signing key under another key-encryption key.

All or nothing: every row is locked, read with one of the readable key-encryption keys, written
under the target one and read back, in one transaction; one key that cannot be read leaves
every row as it was. The keys themselves do not change: same kid, same public half, same
signatures. Nothing else is encrypted with the key-encryption key (client secrets, tokens and
codes are stored as hashes).
"""

from dataclasses import dataclass

from django.db import transaction

from authserver.keys import crypto, store
from authserver.keys.models import SigningKey


@dataclass(frozen=True)
class Outcome:
    reencrypted: int
    already: int


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
    # This process's parsed keys are still right; other processes keep theirs until they
    # reload the ring, and read the new ciphertexts with the key they are configured with.
    store.clear_caches()
    return Outcome(reencrypted=len(changed), already=already)
