"""Key generation, and the private halves of signing keys encrypted at rest.

A private JWK is kept as a compact JWE (RFC 7516 section 7.1), ``alg`` "dir" and ``enc``
"A256GCM", under a 256-bit key derived with HKDF-SHA256 (RFC 5869) from
``settings.AUTHSERVER_KEY_ENCRYPTION_KEY``. The JWE header's ``kid`` is the RFC 7638 thumbprint
of that derived key, so a ciphertext read under another setting fails with a message that says
so instead of a bare authentication-tag error, and the key that can read it is picked among
the configured one and ``settings.AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS`` (a rotation of the
key-encryption key in progress: ``manage.py rotate_kek``, docs/deployment.md).
"""

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto.common import JWException, base64url_encode, json_encode
from jwcrypto.jwe import JWE
from jwcrypto.jwk import JWK

_KEY_ALGORITHM = "dir"
_CONTENT_ENCRYPTION = "A256GCM"
# Changing this string changes every derived key: it names the purpose, and must stay fixed.
_HKDF_INFO = b"authserver: signing keys at rest"

# The JWA algorithm -> the arguments of JWK.generate (RFC 7518 section 3.1).
_GENERATE = {
    "RS256": {"kty": "RSA", "size": 2048},
    "ES256": {"kty": "EC", "crv": "P-256"},
    "PS256": {"kty": "RSA", "size": 2048},
}
SUPPORTED_ALGORITHMS = tuple(_GENERATE)


class KeyDecryptionError(Exception):
    """A stored private key cannot be read with the configured key-encryption key."""


def generate(alg: str) -> JWK:
    """A new private signing key for ``alg``, its ``kid`` the RFC 7638 SHA-256 thumbprint."""
    try:
        params = _GENERATE[alg]
    except KeyError:
        raise ValueError(f"unsupported signing algorithm {alg!r}") from None
    key = JWK.generate(**params)
    return JWK(**key.export(as_dict=True), kid=key.thumbprint(), alg=alg, use="sig")


def encrypt(private_key: JWK, *, secret: str | None = None) -> str:
    """The private JWK as a compact JWE under the configured key-encryption key (or the one
    derived from ``secret``)."""
    kek = _key_encryption_key(settings.AUTHSERVER_KEY_ENCRYPTION_KEY if secret is None else secret)
    header = {
        "alg": _KEY_ALGORITHM,
        "enc": _CONTENT_ENCRYPTION,
        "kid": kek.thumbprint(),
        "cty": "jwk+json",
    }
    token = JWE(private_key.export_private().encode(), protected=json_encode(header))
    token.add_recipient(kek)
    return token.serialize(compact=True)


def decrypt(ciphertext: str, *, kid: str, secrets: list[str] | None = None) -> JWK:
    """The private JWK of signing key ``kid``, read with the configured key-encryption key or
    one of its fallbacks (or one of ``secrets``); raises KeyDecryptionError with the reason."""
    candidates = {
        kek.thumbprint(): kek
        for kek in map(_key_encryption_key, configured_secrets() if secrets is None else secrets)
    }
    token = JWE()
    token.allowed_algs = [_KEY_ALGORITHM, _CONTENT_ENCRYPTION]
    try:
        token.deserialize(ciphertext)
    except (JWException, ValueError):
        raise KeyDecryptionError(f"signing key {kid}: the stored ciphertext is malformed") from None
    used = token.jose_header.get("kid")
    kek = candidates.get(used)
    if kek is None:
        raise KeyDecryptionError(
            f"signing key {kid} cannot be decrypted with AUTHSERVER_KEY_ENCRYPTION_KEY: it was "
            f"encrypted under the key with fingerprint {used}, and the configured key's "
            f"fingerprint is {', '.join(candidates)}"
        )
    try:
        token.decrypt(kek)
        key = JWK.from_json(token.payload)
    except (JWException, ValueError):
        raise KeyDecryptionError(
            f"signing key {kid} cannot be decrypted with AUTHSERVER_KEY_ENCRYPTION_KEY: "
            "the stored ciphertext is damaged"
        ) from None
    # Binds the ciphertext to its row: a private key copied onto another row is refused.
    if key.thumbprint() != kid or not key.has_private:
        raise KeyDecryptionError(f"signing key {kid}: the stored private key is another key")
    return key


def encrypted_under(ciphertext: str) -> str:
    """The fingerprint of the key-encryption key a stored ciphertext names ("" if malformed)."""
    token = JWE()
    try:
        token.deserialize(ciphertext)
    except (JWException, ValueError):
        return ""
    return str(token.jose_header.get("kid", ""))


def fingerprint(secret: str) -> str:
    """The fingerprint of the key-encryption key derived from ``secret``: safe to print."""
    return _key_encryption_key(secret).thumbprint()


def configured_secrets() -> list[str]:
    """The key-encryption key, then its fallbacks: every secret that may read a stored key."""
    return [
        settings.AUTHSERVER_KEY_ENCRYPTION_KEY,
        *getattr(settings, "AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS", []),
    ]


def public_jwk(private_key: JWK) -> dict:
    """The public members of ``private_key`` with its kid, alg and use (RFC 7517 section 4)."""
    return private_key.export_public(as_dict=True)


@functools.lru_cache(maxsize=4)
def _key_encryption_key(secret: str) -> JWK:
    # Read from settings at every use (and cached by value), so a changed setting takes effect.
    if not secret:
        raise ImproperlyConfigured("AUTHSERVER_KEY_ENCRYPTION_KEY is empty")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return JWK(kty="oct", k=base64url_encode(derived))
