"""``aud`` of the access tokens the token endpoint issues: the scopes' audiences, and every
client whose roles the token carries (Keycloak's audience resolution), verified with the JWKS."""

import pytest

from authserver.models import Client
from tests.factories import make_group, make_realm, make_role, make_scope, make_user
from tests.protocol.helpers import make_web_client, tokens_for, verify

pytestmark = pytest.mark.django_db


def realm_management_role(realm, name="view-users"):
    return Client.objects.get(realm=realm, client_id="realm-management").roles.get(name=name)


def test_it_names_realm_management_for_a_holder_of_its_roles(client):
    realm = make_realm()
    alice = make_user(realm, "alice")
    role = realm_management_role(realm)
    alice.roles.add(role)
    app = make_web_client(realm)
    app.optional_client_scopes.add(make_scope(realm, "orders:read", audience="orders"))

    body = tokens_for(client, realm, alice, scope="orders:read")

    claims = verify(client, realm, body["access_token"])
    assert claims["aud"] == ["orders", "realm-management"]
    assert claims["resource_access"] == {"realm-management": {"roles": ["view-users"]}}


def test_it_names_realm_management_through_a_group(client):
    realm = make_realm()
    bob = make_user(realm, "bob")
    role = realm_management_role(realm, "realm-admin")
    group = make_group(realm, "admins")
    group.roles.add(role)
    bob.realm_groups.add(group)
    make_web_client(realm)

    claims = verify(client, realm, tokens_for(client, realm, bob)["access_token"])

    assert claims["aud"] == ["realm-management"]


def test_it_leaves_realm_management_out_for_everyone_else(client):
    realm = make_realm()
    carol = make_user(realm, "carol")
    app = make_web_client(realm)
    carol.roles.add(make_role(realm, "viewer", client=app), make_role(realm, "customer"))

    claims = verify(client, realm, tokens_for(client, realm, carol)["access_token"])

    # Her roles of the app itself do not name it again: the app is the audience by default.
    assert claims["aud"] == ["app"]
