from accounts.hashers import (
    BoundedPBKDF2PasswordHasher,
    KeycloakPBKDF2SHA256PasswordHasher,
    OWASPArgon2PasswordHasher,
)

# Hashes of tests.factories.PASSWORD just beyond accounts.hash_cost's bounds, as a row written
# before the bound existed may hold: verifying any of them would log the user in.
BEYOND_THE_BOUND = {
    "pbkdf2-iterations": (
        "pbkdf2_sha256$1300001$over-bound-salt$9MUd1sjNLQuik9SmgwK8dJ/1Xdx8OabvadM2rJS8Wk8="
    ),
    "keycloak-iterations": (
        "keycloak_pbkdf2_sha256$1300001$MDEyMzQ1Njc4OWFiY2RlZg==$"
        "r3DppwHKmFwnI4nvUD56h6Mw+iepSJKSrow27CSpCL0="
    ),
    "argon2-memory": (
        "argon2$argon2id$v=19$m=204801,t=1,p=1$b3Zlci1ib3VuZC1zYWx0IQ$"
        "n9zFjZVBqyDKiVac3LA3UuEjLXUlib3TCicJi+2tSok"
    ),
    "argon2-parallelism": (
        "argon2$argon2id$v=19$m=1024,t=1,p=17$b3Zlci1ib3VuZC1zYWx0IQ$"
        "iRzE1/PiaYGmPcTlxBVmozxtTMabsQGW3vWItjapm10"
    ),
}

# A Keycloak credential of 100,000,000 PBKDF2 iterations: minutes of work at each login.
COSTLY_KEYCLOAK_CREDENTIAL = {
    "type": "password",
    "secretData": '{"value": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "salt": "AAAA"}',
    "credentialData": '{"hashIterations": 100000000, "algorithm": "pbkdf2-sha256"}',
}


class FastArgon2PasswordHasher(OWASPArgon2PasswordHasher):
    """Argon2id with small parameters, for tests only: the encoding carries its parameters, so
    hashes made here verify with the production hasher and the reverse."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


# What the counting hashers below did, in order: (algorithm, "verify") when asked to verify a
# stored hash, (algorithm, "hash") each time one computed a hash (to verify it or to make one).
WORK: list[tuple[str, str]] = []


def hashed() -> list[str]:
    """The algorithms that computed a hash, once per computation."""
    return [algorithm for algorithm, event in WORK if event == "hash"]


def asked_to_verify() -> list[str]:
    return [algorithm for algorithm, event in WORK if event == "verify"]


class _CountsVerify:
    def verify(self, password, encoded):
        WORK.append((self.algorithm, "verify"))
        return super().verify(password, encoded)


class CountingArgon2PasswordHasher(_CountsVerify, FastArgon2PasswordHasher):
    def encode(self, password, salt):
        WORK.append((self.algorithm, "hash"))
        return super().encode(password, salt)

    def verify_within_bound(self, password, encoded):
        WORK.append((self.algorithm, "hash"))
        return super().verify_within_bound(password, encoded)


class CountingPBKDF2PasswordHasher(_CountsVerify, BoundedPBKDF2PasswordHasher):
    # Django's PBKDF2 verifies by encoding again.
    def encode(self, password, salt, iterations=None):
        WORK.append((self.algorithm, "hash"))
        return super().encode(password, salt, iterations)


class CountingKeycloakPBKDF2SHA256PasswordHasher(_CountsVerify, KeycloakPBKDF2SHA256PasswordHasher):
    def _derive(self, password, salt, iterations, length):
        WORK.append((self.algorithm, "hash"))
        return super()._derive(password, salt, iterations, length)


COUNTING = [
    "tests.hashers.CountingArgon2PasswordHasher",
    "tests.hashers.CountingPBKDF2PasswordHasher",
    "tests.hashers.CountingKeycloakPBKDF2SHA256PasswordHasher",
    "authserver.hashers.SecretSHA256Hasher",
]
