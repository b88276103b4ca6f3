"""Group members, a user's groups (and joining or leaving one), and the counts."""

import pytest

from accounts.models import Event
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_roles, admin_token, call, url
from tests.factories import make_group, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(realm):
    return admin_token(realm, rm.MANAGE_USERS, username="manager")


def test_it_lists_a_groups_members_paged(client, realm, manager):
    staff = make_group(realm, "staff")
    for name in ("carol", "alice", "bob"):
        make_user(realm, name).realm_groups.add(staff)
    make_user(realm, "dave")
    path = url(realm, "groups", str(staff.pk), "members")
    listed = call(client, "GET", path, manager)
    assert listed.status_code == 200
    assert [user["username"] for user in listed.json()] == ["alice", "bob", "carol"]
    second = call(client, "GET", f"{path}?first=1&max=1", manager).json()
    assert [user["username"] for user in second] == ["bob"]


def test_it_joins_and_leaves_a_group(client, realm, manager):
    staff = make_group(realm, "staff")
    night = make_group(realm, "night", parent=staff)
    alice = make_user(realm, "alice")
    base = url(realm, "users", str(alice.subject), "groups")
    assert call(client, "PUT", f"{base}/{night.pk}", manager).status_code == 204
    assert list(alice.realm_groups.all()) == [night]
    assert call(client, "GET", base, manager).json() == [
        {"id": str(night.pk), "name": "night", "path": "/staff/night"}
    ]
    full = call(client, "GET", f"{base}?briefRepresentation=false", manager).json()
    assert full[0]["realmRoles"] == [] and full[0]["path"] == "/staff/night"
    assert call(client, "DELETE", f"{base}/{night.pk}", manager).status_code == 204
    assert not alice.realm_groups.exists()
    assert call(client, "PUT", f"{base}/999999", manager).status_code == 404
    assert [event.type for event in Event.objects.order_by("id")] == ["CREATE", "DELETE"]


def test_it_refuses_joining_a_group_that_carries_an_admin_role_the_caller_lacks(
    client, realm, manager
):
    admins = make_group(realm, "admins")
    admins.roles.add(*admin_roles(realm, rm.REALM_ADMIN))
    alice = make_user(realm, "alice")
    path = url(realm, "users", str(alice.subject), "groups", str(admins.pk))
    assert call(client, "PUT", path, manager).status_code == 403
    assert not alice.realm_groups.exists()


def test_it_counts_users_and_groups(client, realm, manager):
    make_user(realm, "alice", email="alice@example.com")
    make_user(realm, "bob")
    staff = make_group(realm, "staff")
    make_group(realm, "night", parent=staff)
    make_group(realm, "sales")
    users = call(client, "GET", url(realm, "users", "count"), manager)
    assert users.status_code == 200 and users.json() == 3  # with the manager
    assert call(client, "GET", url(realm, "users", "count") + "?search=alice", manager).json() == 1
    groups = call(client, "GET", url(realm, "groups", "count"), manager)
    assert groups.json() == {"count": 3}
    top = call(client, "GET", url(realm, "groups", "count") + "?top=true", manager)
    assert top.json() == {"count": 2}


def test_it_validates_ownership(client, realm, other_realm):
    staff = make_group(realm, "staff")
    alice = make_user(realm, "alice")
    charlie = admin_token(other_realm, rm.REALM_ADMIN)
    assert (
        call(client, "GET", url(realm, "groups", str(staff.pk), "members"), charlie).status_code
        == 404
    )
    theirs = url(other_realm, "users", str(alice.subject), "groups", str(staff.pk))
    assert call(client, "PUT", theirs, charlie).status_code == 404
    bob = make_user(other_realm, "bob")
    mixed = url(other_realm, "users", str(bob.subject), "groups", str(staff.pk))
    assert call(client, "PUT", mixed, charlie).status_code == 404
    assert call(client, "GET", url(other_realm, "users", "count"), charlie).json() == 2
