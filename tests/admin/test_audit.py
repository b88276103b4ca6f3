"""Every console change is an admin event with the object before and after, secrets masked."""

import pytest

from accounts.models import Event, Realm, Role
from tests.admin.helpers import form_data
from tests.factories import make_client, make_realm, make_role

pytestmark = pytest.mark.django_db


def _admin_events(**filters):
    return Event.objects.filter(category="admin", **filters)


def test_it_records_a_creation_with_the_new_object(console, root):
    realm = make_realm("shop")
    response = console.post(
        "/admin/accounts/role/add/", {"realm": realm.pk, "name": "viewer", "description": "x"}
    )
    assert response.status_code == 302
    event = _admin_events(type="CREATE").get()
    role = Role.objects.get(realm=realm, name="viewer")
    assert event.realm == realm
    assert (event.user, event.username) == (root, "root")
    assert event.resource_type == "REALM_ROLE"
    assert event.resource_path == f"roles/{role.pk}"
    assert event.after["name"] == "viewer" and event.before is None
    assert event.ip_address == "127.0.0.1"


def test_it_records_a_change_with_before_and_after(console):
    role = make_role(make_realm("shop"), "viewer", description="old")
    url = f"/admin/accounts/role/{role.pk}/change/"
    assert console.post(url, form_data(console.get(url), description="new")).status_code == 302
    event = _admin_events(type="UPDATE").get()
    assert event.before["description"] == "old"
    assert event.after["description"] == "new"


def test_it_records_a_deletion_with_the_object_before(console):
    role = make_role(make_realm("shop"), "viewer")
    url = f"/admin/accounts/role/{role.pk}/delete/"
    assert console.post(url, {"post": "yes"}).status_code == 302
    event = _admin_events(type="DELETE").get()
    assert event.before["name"] == "viewer" and event.after is None


def test_it_masks_the_client_secret(console):
    client = make_client(make_realm("shop"), "web")
    url = f"/admin/authserver/client/{client.pk}/change/"
    data = form_data(console.get(url), regenerate_secret=True)
    assert console.post(url, data).status_code == 302
    event = _admin_events(type="UPDATE", resource_type="CLIENT").get()
    assert event.before["client_secret"] == "********"
    assert event.after["client_secret"] == "********"
    client.refresh_from_db()
    assert client.client_secret not in str(event.before) + str(event.after)


def test_it_masks_a_users_password(console):
    realm = make_realm("shop")
    response = console.post(
        "/admin/accounts/user/add/",
        {
            "realm": realm.pk,
            "username": "alice",
            "is_active": "on",
            "password1": "Alice-Password-1",
            "password2": "Alice-Password-1",
        },
    )
    assert response.status_code == 302
    event = _admin_events(type="CREATE", resource_type="USER").get()
    assert event.after["password"] == "********"


def test_it_keeps_the_event_of_a_deleted_realm(console):
    realm = make_realm("gone")
    url = f"/admin/accounts/realm/{realm.pk}/delete/"
    assert console.post(url, {"post": "yes"}).status_code == 302
    assert not Realm.objects.filter(name="gone").exists()
    event = _admin_events(type="DELETE", resource_type="REALM").get()
    assert event.realm is None and event.before["name"] == "gone"


def test_it_shows_events_read_only_and_filterable(console):
    realm = make_realm("shop")
    make_role(realm, "x")
    Event.objects.create(realm=realm, category="user", type="LOGIN_ERROR", username="alice")
    response = console.get("/admin/accounts/event/", {"category__exact": "user"})
    assert [e.type for e in response.context["cl"].result_list] == ["LOGIN_ERROR"]
    event = Event.objects.get(type="LOGIN_ERROR")
    page = console.get(f"/admin/accounts/event/{event.pk}/change/")
    assert page.status_code == 200
    assert console.post(f"/admin/accounts/event/{event.pk}/change/", {}).status_code == 403
    assert console.get("/admin/accounts/event/add/").status_code == 403
    assert console.get(f"/admin/accounts/event/{event.pk}/delete/").status_code == 403
    for params in [
        {"realm__id__exact": realm.pk},
        {"type": "LOGIN_ERROR"},
        {"q": "alice"},
        {"created__year": event.created.year},
    ]:
        assert console.get("/admin/accounts/event/", params).status_code == 200
