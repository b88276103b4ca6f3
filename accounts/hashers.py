"""Password hashers beyond Django's own."""

import base64
import hashlib

from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher
from django.utils.crypto import constant_time_compare


class OWASPArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the minimum the OWASP Password Storage Cheat Sheet recommends: m=19 MiB
    (19456 KiB), t=2, p=1.

    Django's defaults (m=100 MiB, p=8) cost about 280 ms of CPU per login on a 2-core host, so
    a handful of concurrent logins saturates it; these parameters cost about 30 ms and still
    meet OWASP's baseline. The algorithm stays "argon2" and each hash carries its parameters,
    so hashes made with other parameters still verify, and Django's must_update re-hashes them
    with these at the user's next successful login.
    """

    time_cost = 2
    memory_cost = 19456
    parallelism = 1


class KeycloakPBKDF2SHA256PasswordHasher(BasePasswordHasher):
    """Verifies the pbkdf2-sha256 hashes in a Keycloak realm export, so its users can log in.

    Keycloak keeps a base64 salt of raw bytes and a 512-bit derived key; Django's own PBKDF2
    hasher cannot read that. Users are re-hashed with Argon2id at their next login.
    """

    algorithm = "keycloak_pbkdf2_sha256"
    iterations = 27500

    def encode(self, password, salt, iterations=None):
        iterations = iterations or self.iterations
        raw_salt = base64.b64decode(salt)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), raw_salt, iterations, 64)
        return f"{self.algorithm}${iterations}${salt}${base64.b64encode(digest).decode()}"

    def decode(self, encoded):
        algorithm, iterations, salt, value = encoded.split("$", 3)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "iterations": int(iterations), "salt": salt, "hash": value}

    def salt(self):
        return base64.b64encode(super().salt().encode()).decode()

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        expected = base64.b64decode(decoded["hash"])
        digest = hashlib.pbkdf2_hmac(
            "sha256",
            password.encode(),
            base64.b64decode(decoded["salt"]),
            decoded["iterations"],
            len(expected),
        )
        return constant_time_compare(digest, expected)

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "iterations": decoded["iterations"]}

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass
