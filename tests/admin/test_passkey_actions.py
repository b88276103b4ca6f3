"""The console's user page: Keycloak's webauthn-register and webauthn-register-passwordless
among the required actions, and the user's passkeys, listed and removed."""

import pytest

from accounts.models import Passkey, User
from tests.admin.helpers import form_data
from tests.factories import make_realm, make_user

pytestmark = pytest.mark.django_db


def test_it_sets_the_passkey_actions_and_removes_passkeys(console):
    user = make_user(make_realm(), "alice")
    Passkey.objects.create(user=user, name="Laptop", credential_id="AAAA", public_key=b"\0")
    Passkey.objects.create(
        user=user, name="Phone", credential_id="BBBB", public_key=b"\0", passwordless=True
    )
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = console.get(url)
    body = page.content.decode()
    assert "Laptop (second factor" in body and "Phone (passwordless" in body
    assert 'value="webauthn-register"' in body and 'value="webauthn-register-passwordless"' in body
    data = form_data(page, required_actions=["webauthn-register"], remove_passkeys=True)
    assert console.post(url, data).status_code == 302
    assert User.objects.get(pk=user.pk).required_actions == ["webauthn-register"]
    assert not Passkey.objects.exists()
