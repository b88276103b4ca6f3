import hashlib
import hmac

from django.contrib.auth.hashers import BasePasswordHasher
from django.utils.crypto import constant_time_compare


class SecretSHA256Hasher(BasePasswordHasher):
    """HMAC-SHA256 keyed with a per-secret salt, for generated client secrets only.

    Generated secrets carry 256 bits of randomness, so a slow password hash adds nothing but a
    cap on token requests per second. Never used for user passwords.
    """

    algorithm = "authserver_sha256"

    def encode(self, password, salt):
        self._check_encode_args(password, salt)
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded):
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded):
        return {"algorithm": self.algorithm}

    def harden_runtime(self, password, encoded):
        pass
