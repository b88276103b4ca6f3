import pytest

from accounts.models import User


@pytest.fixture
def root(db):
    """A console superuser: create_superuser puts it in the master realm."""
    return User.objects.create_superuser("root", "Root-Password-1")


@pytest.fixture
def console(client, root):
    """A browser logged in to the admin console as ``root``."""
    client.force_login(root)
    return client
