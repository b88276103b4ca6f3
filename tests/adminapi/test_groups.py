"""/admin/realms/{realm}/groups: nested groups with role mappings."""

import pytest

from accounts.models import Event, Group
from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_group, make_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(realm):
    make_role(realm, "reader")
    return admin_token(realm, rm.MANAGE_USERS)


def test_it_creates_a_group_with_its_subgroups(client, realm, manager):
    body = {"name": "staff", "realmRoles": ["reader"], "subGroups": [{"name": "night"}]}
    response = call(client, "POST", url(realm, "groups"), manager, body)
    assert response.status_code == 201, response.content
    staff = Group.objects.get(realm=realm, name="staff")
    night = Group.objects.get(parent=staff)
    assert response["Location"] == f"/admin/realms/acme/groups/{staff.pk}"
    assert response.json() == {
        "id": str(staff.pk),
        "name": "staff",
        "path": "/staff",
        "realmRoles": ["reader"],
        "clientRoles": {},
        "subGroups": [
            {
                "id": str(night.pk),
                "name": "night",
                "path": "/staff/night",
                "realmRoles": [],
                "clientRoles": {},
                "subGroups": [],
            }
        ],
    }
    assert Event.objects.get().after["name"] == "staff"


def test_it_creates_a_child(client, realm, manager):
    staff = make_group(realm, "staff")
    path = url(realm, "groups", str(staff.pk), "children")
    response = call(client, "POST", path, manager, {"name": "night"})
    assert response.status_code == 201
    assert response.json()["path"] == "/staff/night"
    assert call(client, "POST", path, manager, {"name": "night"}).status_code == 409
    assert call(client, "POST", url(realm, "groups"), manager, {"name": "night"}).status_code == 201


def test_it_updates_and_deletes_a_group(client, realm, manager):
    staff = make_group(realm, "staff")
    make_group(realm, "night", parent=staff)
    path = url(realm, "groups", str(staff.pk))
    body = {"name": "crew", "realmRoles": ["reader"], "subGroups": []}
    assert call(client, "PUT", path, manager, body).status_code == 204
    shown = call(client, "GET", path, manager).json()
    assert shown["name"] == "crew" and shown["realmRoles"] == ["reader"]
    assert [child["name"] for child in shown["subGroups"]] == ["night"]  # not touched by PUT
    assert call(client, "DELETE", path, manager).status_code == 204
    assert not Group.objects.filter(realm=realm).exists()


def test_it_names_the_bad_field_of_a_subgroup(client, realm, manager):
    body = {"name": "staff", "subGroups": [{"name": "ok"}, {"name": "x", "realmRoles": ["ghost"]}]}
    response = call(client, "POST", url(realm, "groups"), manager, body)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["subGroups[1].realmRoles[0]"]
    assert not Group.objects.exists()
    slash = call(client, "POST", url(realm, "groups"), manager, {"name": "a/b"})
    assert list(slash.json()["fields"]) == ["name"]


def test_it_lists_top_level_groups(client, realm, manager):
    staff = make_group(realm, "staff")
    make_group(realm, "night", parent=staff)
    listed = call(client, "GET", url(realm, "groups"), manager).json()
    assert [group["name"] for group in listed] == ["staff"]
    assert listed[0]["subGroups"][0]["name"] == "night"


def test_it_answers_404_for_a_group_of_another_realm(client, realm, other_realm, manager):
    charlies = make_group(other_realm, "charlies")
    for method in ("GET", "PUT", "DELETE"):
        path = url(realm, "groups", str(charlies.pk))
        assert call(client, method, path, manager, {"name": "x"}).status_code == 404
    assert call(client, "GET", url(realm, "groups", "nope"), manager).status_code == 404


def test_the_group_list_reads_the_realms_groups_once_however_many_there_are(
    client, realm, manager, django_assert_max_num_queries
):
    reader = realm.roles.get(name="reader")
    for index in range(8):
        top = make_group(realm, f"team{index}")
        top.roles.add(reader)
        make_group(realm, "night", parent=make_group(realm, "shift", parent=top))
    path = url(realm, "groups")
    call(client, "GET", path, manager)  # the token's client and realm, read once per process
    with django_assert_max_num_queries(10):
        listed = call(client, "GET", path, manager).json()
    assert [group["name"] for group in listed] == [f"team{index}" for index in range(8)]
    assert all(group["realmRoles"] == ["reader"] for group in listed)
    night = listed[3]["subGroups"][0]["subGroups"][0]
    assert night["path"] == "/team3/shift/night"
    assert night["id"] == str(Group.objects.get(name="night", parent__parent__name="team3").pk)
