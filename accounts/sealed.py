"""Secrets a user shares with the server (an authenticator's TOTP seed) sealed at rest.

Unlike a password, such a secret must be read back to check a code, so it cannot be hashed:
it is kept as a compact JWE (``dir``, ``A256GCM``) under a key derived with HKDF-SHA256 from
``AUTHSERVER_KEY_ENCRYPTION_KEY``, the setting that seals the signing keys, for another purpose
(another HKDF ``info``), so neither key can open what the other sealed.
"""

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto.common import base64url_encode, json_encode
from jwcrypto.jwe import JWE, InvalidJWEData
from jwcrypto.jwk import JWK

# Changing this string changes the derived key: it names the purpose, and must stay fixed.
_HKDF_INFO = b"authserver: user credentials at rest"
_ALGORITHMS = ["dir", "A256GCM"]


def seal(secret: str, *, key_secret: str | None = None) -> str:
    """``secret`` sealed under the configured key-encryption key (or ``key_secret``)."""
    token = JWE(secret.encode(), protected=json_encode({"alg": "dir", "enc": "A256GCM"}))
    token.add_recipient(_key(key_secret or settings.AUTHSERVER_KEY_ENCRYPTION_KEY))
    return token.serialize(compact=True)


def unseal(sealed: str, *, key_secrets: list[str] | None = None) -> str:
    """What ``sealed`` holds, read with the key-encryption key or one of its fallbacks (a
    rotation in progress, ``manage.py rotate_kek``); InvalidJWEData if none opens it."""
    candidates = key_secrets or [
        settings.AUTHSERVER_KEY_ENCRYPTION_KEY,
        *getattr(settings, "AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS", []),
    ]
    for index, secret in enumerate(candidates):
        token = JWE()
        token.allowed_algs = _ALGORITHMS
        try:
            token.deserialize(sealed, key=_key(secret))
        except InvalidJWEData:
            if index == len(candidates) - 1:
                raise
            continue
        return token.payload.decode()
    raise InvalidJWEData("no key-encryption key is configured")


def reseal(sealed: str, *, target: str, readable: list[str]) -> str:
    """``sealed`` opened with one of ``readable`` and sealed again under ``target``, read back
    before it is returned."""
    resealed = seal(unseal(sealed, key_secrets=readable), key_secret=target)
    unseal(resealed, key_secrets=[target])
    return resealed


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> JWK:
    if not secret:
        raise ImproperlyConfigured("AUTHSERVER_KEY_ENCRYPTION_KEY is empty")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return JWK(kty="oct", k=base64url_encode(derived))
