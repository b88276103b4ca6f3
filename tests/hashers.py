from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with small parameters, for tests only: the encoding carries its parameters, so
    hashes made here verify with the production hasher and the reverse."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
