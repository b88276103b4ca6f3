"""Password and client-secret hashes as they travel in realm files.

A file carries hashes, not secrets, so a realm can move between installations with every
password and client secret still working. Only hashers this installation verifies are accepted,
and each only where it belongs: slow password hashes for users, the fast secret hash for clients.
Each function raises ValueError with a message fit for the JSON path of the value.
"""

import base64
import binascii
import json

from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from oauth2_provider.settings import oauth2_settings

from accounts.hashers import KeycloakPBKDF2SHA256PasswordHasher
from accounts.models import User
from authserver.hashers import SecretSHA256Hasher

USER_PASSWORD_ALGORITHMS = ("argon2", "pbkdf2_sha256", KeycloakPBKDF2SHA256PasswordHasher.algorithm)
CLIENT_SECRET_ALGORITHM = SecretSHA256Hasher.algorithm
KEYCLOAK_PBKDF2_SHA256 = "pbkdf2-sha256"
# PBKDF2's output is a run of independent 32-byte blocks for SHA-256, so the first block of
# Keycloak's 64-byte key verifies the password as well as the whole key does, and keeps the
# encoded hash within the password column.
_PBKDF2_SHA256_BLOCK = 32


def _decoded(encoded: str, algorithms: tuple[str, ...]) -> str:
    """The hasher name of ``encoded`` if it is a well-formed hash of one of ``algorithms``."""
    try:
        hasher = identify_hasher(encoded)
    except ValueError:
        hasher = None
    if hasher is None or hasher.algorithm not in algorithms:
        names = ", ".join(algorithms)
        raise ValueError(f"not a hash this server accepts here (one of: {names})")
    try:
        hasher.decode(encoded)
    except (ValueError, AssertionError):
        raise ValueError(f"not a well-formed {hasher.algorithm} hash") from None
    return hasher.algorithm


def user_password_hash(encoded: str) -> str:
    """``encoded`` itself, once it is known to be a user password hash that fits its column."""
    _decoded(encoded, USER_PASSWORD_ALGORITHMS)
    limit = User._meta.get_field("password").max_length
    if len(encoded) > limit:
        raise ValueError(f"is longer than the {limit} characters a password hash may have")
    return encoded


def keycloak_password_hash(secret_data: str, credential_data: str) -> str:
    """A Keycloak ``secretData`` / ``credentialData`` pair as this server's encoded hash."""
    try:
        secret = json.loads(secret_data)
        credential = json.loads(credential_data)
    except (TypeError, json.JSONDecodeError):
        raise ValueError("secretData and credentialData must each hold a JSON object") from None
    if not isinstance(secret, dict) or not isinstance(credential, dict):
        raise ValueError("secretData and credentialData must each hold a JSON object")
    algorithm = credential.get("algorithm")
    if algorithm != KEYCLOAK_PBKDF2_SHA256:
        raise ValueError(
            f"Keycloak password algorithm {json.dumps(algorithm)} is not supported "
            f"(only {KEYCLOAK_PBKDF2_SHA256})"
        )
    iterations = credential.get("hashIterations")
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1:
        raise ValueError("credentialData.hashIterations must be a positive whole number")
    try:
        salt = base64.b64decode(secret.get("salt", ""), validate=True)
        digest = base64.b64decode(secret.get("value", ""), validate=True)
    except (TypeError, binascii.Error):
        raise ValueError("secretData.salt and secretData.value must be base64") from None
    if not salt or not digest:
        raise ValueError("secretData needs both salt and value")
    hasher = get_hasher(KeycloakPBKDF2SHA256PasswordHasher.algorithm)
    encoded = "$".join(
        [
            hasher.algorithm,
            str(iterations),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest[:_PBKDF2_SHA256_BLOCK]).decode(),
        ]
    )
    return user_password_hash(encoded)


def client_secret_hash(encoded: str) -> str:
    """``encoded`` itself, once it is known to be a hash made by the client-secret hasher."""
    _decoded(encoded, (CLIENT_SECRET_ALGORITHM,))
    return encoded


def hash_client_secret(secret: str) -> str:
    """A client secret given in clear, hashed as django-oauth-toolkit would on save."""
    return make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)
