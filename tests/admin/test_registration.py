"""The console's dynamic-registration pages: the realm's policy, and initial access tokens shown
once when made."""

import re

import pytest

from authserver.registration.models import InitialAccessToken, RegistrationPolicy
from tests.factories import make_realm
from tests.registration.helpers import MACHINE, register

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r"it will not be shown again: ([A-Za-z0-9_-]+)")


def test_it_makes_an_initial_access_token_shown_once(console):
    realm = make_realm("shop")
    RegistrationPolicy.objects.create(realm=realm, enabled=True)
    response = console.post(
        "/admin/authserver/initialaccesstoken/add/",
        {"realm": realm.pk, "count": 1, "lifetime": 600},
        follow=True,
    )
    assert response.status_code == 200
    (token,) = SHOWN.findall(response.content.decode())
    record = InitialAccessToken.objects.get(realm=realm)
    assert (record.count, record.remaining) == (1, 1)
    assert record.expires is not None and token not in record.token_hash
    listing = console.get("/admin/authserver/initialaccesstoken/").content.decode()
    assert token not in listing and "not be shown again" not in listing
    assert register(console, realm, MACHINE, token).status_code == 201
    assert register(console, realm, MACHINE, token).status_code == 401


def test_it_turns_registration_on_for_a_realm(console):
    realm = make_realm("shop")
    response = console.post(
        "/admin/authserver/registrationpolicy/add/",
        {"realm": realm.pk, "enabled": "on", "trusted_hosts": "rp.example", "max_clients": 5},
    )
    assert response.status_code == 302
    policy = RegistrationPolicy.objects.get(realm=realm)
    assert (policy.enabled, policy.trusted_hosts, policy.max_clients) == (True, "rp.example", 5)
    discovery = console.get(f"/realms/{realm.name}/.well-known/openid-configuration").json()
    assert "registration_endpoint" in discovery
