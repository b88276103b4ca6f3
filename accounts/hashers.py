"""Password hashers beyond Django's own, each refusing a hash that costs too much to verify."""

import base64
import binascii
import hashlib

from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BasePasswordHasher,
    PBKDF2PasswordHasher,
)
from django.utils.crypto import constant_time_compare

from accounts import hash_cost


class BoundedCostMixin:
    """``verify`` answers False, without computing it, for a hash that costs more to verify than
    accounts.hash_cost allows: a stored row may predate the bound, or come from anywhere."""

    def verify(self, password, encoded):
        if self.cost_excess(encoded) is not None:
            return False
        return self.verify_within_bound(password, encoded)

    def verify_within_bound(self, password, encoded):
        return super().verify(password, encoded)

    def must_update(self, encoded):
        # A hash beyond the bound (or malformed) is replaced whenever it can be.
        return self.cost_excess(encoded) is not None or super().must_update(encoded)

    def cost_excess(self, encoded: str) -> str | None:
        """Why verifying ``encoded`` would cost too much (a malformed hash included), or None."""
        try:
            return self._cost_excess(self.decode(encoded))
        except (ValueError, AssertionError, TypeError, binascii.Error):
            return f"is not a well-formed {self.algorithm} hash"

    def _cost_excess(self, decoded: dict) -> str | None:
        raise NotImplementedError


class OWASPArgon2PasswordHasher(BoundedCostMixin, Argon2PasswordHasher):
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

    def _cost_excess(self, decoded):
        return hash_cost.argon2_excess(
            memory_kib=decoded["memory_cost"],
            passes=decoded["time_cost"],
            lanes=decoded["parallelism"],
        )


class BoundedPBKDF2PasswordHasher(BoundedCostMixin, PBKDF2PasswordHasher):
    """Django's PBKDF2-SHA256 (``pbkdf2_sha256$...``), within the iteration bound."""

    def _cost_excess(self, decoded):
        return hash_cost.pbkdf2_sha256_excess(decoded["iterations"], self.digest().digest_size)


class KeycloakPBKDF2SHA256PasswordHasher(BoundedCostMixin, BasePasswordHasher):
    """Verifies the pbkdf2-sha256 hashes in a Keycloak realm export, so its users can log in.

    Keycloak keeps a base64 salt of raw bytes and a 512-bit derived key; Django's own PBKDF2
    hasher cannot read that. Users are re-hashed with Argon2id at their next login.
    """

    algorithm = "keycloak_pbkdf2_sha256"
    iterations = 27500

    def encode(self, password, salt, iterations=None):
        iterations = iterations or self.iterations
        digest = self._derive(password, base64.b64decode(salt), iterations, 64)
        return f"{self.algorithm}${iterations}${salt}${base64.b64encode(digest).decode()}"

    def decode(self, encoded):
        algorithm, iterations, salt, value = encoded.split("$", 3)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "iterations": int(iterations), "salt": salt, "hash": value}

    def salt(self):
        return base64.b64encode(super().salt().encode()).decode()

    def verify_within_bound(self, password, encoded):
        decoded = self.decode(encoded)
        expected = base64.b64decode(decoded["hash"])
        salt = base64.b64decode(decoded["salt"])
        digest = self._derive(password, salt, decoded["iterations"], len(expected))
        return constant_time_compare(digest, expected)

    def _cost_excess(self, decoded):
        key = base64.b64decode(decoded["hash"], validate=True)
        base64.b64decode(decoded["salt"], validate=True)
        if not key:
            raise ValueError("no derived key")
        return hash_cost.pbkdf2_sha256_excess(decoded["iterations"], len(key))

    @staticmethod
    def _derive(password, salt, iterations, length):
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, length)

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "iterations": decoded["iterations"]}

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass
