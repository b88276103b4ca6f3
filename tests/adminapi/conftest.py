import pytest

from tests.factories import make_realm

# ES256: an EC key is made in a fraction of an RSA key's time, and each test signs with a new one.
FAST_KEYS = {"default_signature_algorithm": "ES256"}


@pytest.fixture
def realm(db):
    return make_realm("acme", **FAST_KEYS)


@pytest.fixture
def other_realm(db):
    """Charlie's realm: its admins must see nothing of ``realm``."""
    return make_realm("charlie", **FAST_KEYS)
