"""Password and client-secret hashes as they travel in realm files.

A file carries hashes, not secrets, so a realm can move between installations with every
password and client secret still working. Only hashers this installation verifies are accepted,
and each only where it belongs: slow password hashes for users, the fast secret hash for clients.
Each function raises ValueError with a message fit for the JSON path of the value. A hash
that would cost more to verify than accounts.hash_cost allows is refused here, where it comes in.
"""

import base64
import binascii
import json
import secrets

from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from oauth2_provider.settings import oauth2_settings

from accounts import hash_cost
from accounts.hashers import KeycloakPBKDF2SHA256PasswordHasher
from accounts.models import User
from authserver.hashers import SecretSHA256Hasher

USER_PASSWORD_ALGORITHMS = ("argon2", "pbkdf2_sha256", KeycloakPBKDF2SHA256PasswordHasher.algorithm)
CLIENT_SECRET_ALGORITHM = SecretSHA256Hasher.algorithm
KEYCLOAK_PBKDF2_SHA256 = "pbkdf2-sha256"
KEYCLOAK_ARGON2 = "argon2"
# Keycloak's Argon2 variants, as argon2-cffi names them in an encoded hash.
_ARGON2_TYPES = {"id": "argon2id", "i": "argon2i", "d": "argon2d"}
_ARGON2_VERSIONS = {"1.3": 19, "1.0": 16}
# PBKDF2's output is a run of independent 32-byte blocks for SHA-256, so the first block of
# Keycloak's 64-byte key verifies the password as well as the whole key does, and keeps the
# encoded hash within the password column.
_PBKDF2_SHA256_BLOCK = 32


class CredentialError(ValueError):
    """A refused credential value, and the field of the credential that holds the fault."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def _hasher(encoded: str, algorithms: tuple[str, ...]):
    """The hasher of ``encoded`` if it is a well-formed hash of one of ``algorithms``."""
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
    return hasher


def user_password_hash(encoded: str) -> str:
    """``encoded`` itself, once it is known to be a user password hash that fits its column and
    costs no more to verify than accounts.hash_cost allows."""
    hasher = _hasher(encoded, USER_PASSWORD_ALGORITHMS)
    limit = User._meta.get_field("password").max_length
    if len(encoded) > limit:
        raise ValueError(f"is longer than the {limit} characters a password hash may have")
    cost_excess = getattr(hasher, "cost_excess", None)
    excess = "its hasher has no cost bound" if cost_excess is None else cost_excess(encoded)
    if excess is not None:
        raise ValueError(excess)
    return encoded


def keycloak_password_hash(secret_data: str, credential_data: str) -> str:
    """A Keycloak ``secretData`` / ``credentialData`` pair as this server's encoded hash; a
    CredentialError names the field at fault."""
    secret = _json_object(secret_data, field="secretData")
    credential = _json_object(credential_data, field="credentialData")
    algorithm = credential.get("algorithm")
    if algorithm not in (KEYCLOAK_PBKDF2_SHA256, KEYCLOAK_ARGON2):
        raise CredentialError(
            f"Keycloak password algorithm {json.dumps(algorithm)} is not supported "
            f"(only {KEYCLOAK_PBKDF2_SHA256} and {KEYCLOAK_ARGON2})",
            field="credentialData",
        )
    iterations = credential.get("hashIterations")
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1:
        raise CredentialError(
            "hashIterations must be a positive whole number", field="credentialData"
        )
    try:
        salt = base64.b64decode(secret.get("salt", ""), validate=True)
        digest = base64.b64decode(secret.get("value", ""), validate=True)
    except (TypeError, binascii.Error):
        raise CredentialError("salt and value must be base64", field="secretData") from None
    if not salt or not digest:
        raise CredentialError("needs both salt and value", field="secretData")
    if algorithm == KEYCLOAK_ARGON2:
        encoded = _argon2_hash(credential, iterations, salt, digest)
    else:
        encoded = _pbkdf2_sha256_hash(iterations, salt, digest)
    try:
        return user_password_hash(encoded)
    except ValueError as error:
        raise CredentialError(str(error), field="secretData") from None


def _argon2_hash(credential: dict, passes: int, salt: bytes, digest: bytes) -> str:
    """Keycloak's Argon2 parameters (``additionalParameters``: type, version, memory in KiB,
    parallelism; ``hashIterations`` the passes) as Django's argon2 encoded hash. Its cost is
    bounded by user_password_hash, as every imported hash's."""
    given = credential.get("additionalParameters")
    if not isinstance(given, dict):
        given = {}

    def parameter(name: str, default: str) -> str:
        value = given.get(name, [default])
        return value[0] if isinstance(value, list) and value and isinstance(value[0], str) else ""

    kind = _ARGON2_TYPES.get(parameter("type", "id"))
    version = _ARGON2_VERSIONS.get(parameter("version", "1.3"))
    memory, lanes = parameter("memory", "7168"), parameter("parallelism", "1")
    if kind is None or version is None or not (memory.isdigit() and lanes.isdigit()):
        raise CredentialError(
            "additionalParameters: type, version, memory or parallelism not understood",
            field="credentialData",
        )

    def b64(value: bytes) -> str:
        return base64.b64encode(value).decode().rstrip("=")

    return (
        f"argon2${kind}$v={version}$m={int(memory)},t={passes},p={int(lanes)}"
        f"${b64(salt)}${b64(digest)}"
    )


def _pbkdf2_sha256_hash(iterations: int, salt: bytes, digest: bytes) -> str:
    excess = hash_cost.pbkdf2_sha256_excess(iterations, _PBKDF2_SHA256_BLOCK)
    if excess is not None:
        raise CredentialError(f"hashIterations {excess}", field="credentialData")
    hasher = get_hasher(KeycloakPBKDF2SHA256PasswordHasher.algorithm)
    return "$".join(
        [
            hasher.algorithm,
            str(iterations),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest[:_PBKDF2_SHA256_BLOCK]).decode(),
        ]
    )


def _json_object(text: str, *, field: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        value = None
    if not isinstance(value, dict):
        raise CredentialError("must hold a JSON object", field=field)
    return value


def client_secret_hash(encoded: str) -> str:
    """``encoded`` itself, once it is known to be a hash made by the client-secret hasher."""
    _hasher(encoded, (CLIENT_SECRET_ALGORITHM,))
    return encoded


def new_client_secret() -> str:
    """A fresh client secret, as strong as the console makes."""
    return secrets.token_urlsafe(32)


def hash_client_secret(secret: str) -> str:
    """A client secret given in clear, hashed as django-oauth-toolkit would on save."""
    return make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)
