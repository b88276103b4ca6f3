"""Checking a user's password at a cost that does not tell which hasher made the stored hash.

Each failed login runs the default hasher's work once, whoever the user is: an unknown user, a
locked account and a wrong password alike. Django's check_password already does so for a hash of
the default hasher and parameters (its verification is that work) and for an unusable password;
for any other hash (an imported Keycloak or Django PBKDF2 hash, Argon2 with other parameters, a
hash refused for its cost) the default work is done after the stored hash's own verification,
which stays bounded by accounts.hash_cost and is gone once the user's next successful login
re-hashes the password with the default hasher.
"""

from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password


def spend_default_work(password: str) -> None:
    """What verifying a password against a default hash costs, with nothing to verify."""
    make_password(password)


def check(user, password: str) -> bool:
    """``user.check_password``, plus the default hasher's work on a failure when the stored hash
    is not one the default hasher would leave as it is."""
    if user.check_password(password):
        return True
    if not _default_work_done(user.password):
        spend_default_work(password)
    return False


def _default_work_done(encoded: str) -> bool:
    try:
        hasher = identify_hasher(encoded)
    except ValueError:
        # Unusable or of no installed hasher: check_password ran the default hasher itself.
        return True
    default = get_hasher("default")
    return hasher.algorithm == default.algorithm and not default.must_update(encoded)
