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
from jwcrypto.jwe import JWE
from jwcrypto.jwk import JWK

# Changing this string changes the derived key: it names the purpose, and must stay fixed.
_HKDF_INFO = b"authserver: user credentials at rest"
_ALGORITHMS = ["dir", "A256GCM"]


def seal(secret: str) -> str:
    token = JWE(secret.encode(), protected=json_encode({"alg": "dir", "enc": "A256GCM"}))
    token.add_recipient(_key(settings.AUTHSERVER_KEY_ENCRYPTION_KEY))
    return token.serialize(compact=True)


def unseal(sealed: str) -> str:
    token = JWE()
    token.allowed_algs = _ALGORITHMS
    token.deserialize(sealed, key=_key(settings.AUTHSERVER_KEY_ENCRYPTION_KEY))
    return token.payload.decode()


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> JWK:
    if not secret:
        raise ImproperlyConfigured("AUTHSERVER_KEY_ENCRYPTION_KEY is empty")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return JWK(kty="oct", k=base64url_encode(derived))
