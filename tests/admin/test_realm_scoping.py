"""Pickers offer only the edited object's realm; a crafted POST cannot link two realms."""

import pytest

from accounts.models import Group, Role
from tests.admin.helpers import form_data
from tests.factories import make_client, make_group, make_realm, make_role, make_scope, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha():
    return make_realm("alpha")


@pytest.fixture
def bravo():
    """The other realm, whose names must never be offered on alpha's pages."""
    realm = make_realm("bravo")
    make_role(realm, "bravo-role")
    make_group(realm, "bravo-group")
    make_scope(realm, "bravo-scope")
    client = make_client(realm, "bravo-client")
    make_user(realm, "bravo-user")
    make_role(realm, "bravo-client-role", client=client)
    return realm


def _page(console, url):
    response = console.get(url)
    assert response.status_code == 200
    return response


def test_it_offers_only_the_realms_roles_and_groups_on_a_user_page(console, alpha, bravo):
    user = make_user(alpha, "alice")
    make_role(alpha, "alpha-role")
    make_group(alpha, "alpha-group")
    body = _page(console, f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert "alpha-role" in body and "alpha-group" in body
    assert "bravo" not in body


def test_it_offers_only_the_realms_roles_and_parents_on_a_group_page(console, alpha, bravo):
    group = make_group(alpha, "alpha-group")
    make_group(alpha, "alpha-other")
    make_role(alpha, "alpha-role")
    body = _page(console, f"/admin/accounts/group/{group.pk}/change/").content.decode()
    assert "alpha-role" in body and "/alpha-other" in body
    assert "bravo" not in body


def test_it_offers_only_the_realms_clients_on_a_role_page(console, alpha, bravo):
    role = make_role(alpha, "alpha-role")
    make_client(alpha, "alpha-client")
    body = _page(console, f"/admin/accounts/role/{role.pk}/change/").content.decode()
    assert "alpha-client" in body
    assert "bravo" not in body


def test_it_offers_only_the_realms_scopes_and_roles_on_a_client_page(console, alpha, bravo):
    client = make_client(alpha, "alpha-client", service_accounts_enabled=True)
    client.create_service_account()
    make_scope(alpha, "alpha-scope")
    make_role(alpha, "alpha-role")
    body = _page(console, f"/admin/authserver/client/{client.pk}/change/").content.decode()
    assert "alpha-scope" in body and "alpha-role" in body
    assert "bravo" not in body


def test_it_offers_only_the_filtered_realms_objects_on_an_add_page(console, alpha, bravo):
    make_role(alpha, "alpha-role")
    response = _page(
        console, f"/admin/accounts/group/add/?_changelist_filters=realm__id__exact%3D{alpha.pk}"
    )
    body = response.content.decode()
    assert response.context["adminform"].form["realm"].value() == str(alpha.pk)
    assert "alpha-role" in body
    assert "bravo-" not in body  # the realm picker itself offers every realm


def test_it_labels_choices_with_their_realm_when_the_realm_is_not_known(console, alpha, bravo):
    body = _page(console, "/admin/accounts/group/add/").content.decode()
    assert "bravo / bravo-role" in body


def test_it_rejects_a_role_of_another_realm_on_a_user(console, alpha, bravo):
    user = make_user(alpha, "alice")
    mine = make_role(alpha, "alpha-role")
    theirs = Role.objects.get(name="bravo-role")
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = form_data(console.get(url), roles=[mine.pk, theirs.pk])
    response = console.post(url, data)
    assert response.status_code == 200
    assert "roles" in response.context["adminform"].form.errors
    assert not user.roles.exists()


def test_it_rejects_a_group_of_another_realm_on_a_user(console, alpha, bravo):
    user = make_user(alpha, "alice")
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = form_data(console.get(url), realm_groups=[Group.objects.get(name="bravo-group").pk])
    response = console.post(url, data)
    assert "realm_groups" in response.context["adminform"].form.errors
    assert not user.realm_groups.exists()


def test_it_rejects_objects_of_another_realm_on_an_add_page(console, alpha, bravo):
    theirs = Role.objects.get(name="bravo-role")
    parent = Group.objects.get(name="bravo-group")
    response = console.post(
        "/admin/accounts/group/add/",
        {"realm": alpha.pk, "name": "new", "parent": parent.pk, "roles": [theirs.pk]},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Not in realm alpha: bravo / bravo-role." in errors["roles"]
    assert "parent" in errors
    assert not Group.objects.filter(name="new").exists()


def test_it_rejects_a_client_of_another_realm_for_a_new_role(console, alpha, bravo):
    from authserver.models import Client

    response = console.post(
        "/admin/accounts/role/add/",
        {
            "realm": alpha.pk,
            "name": "reader",
            "client": Client.objects.get(realm=bravo, client_id="bravo-client").pk,
        },
    )
    assert response.status_code == 200
    assert "client" in response.context["adminform"].form.errors
    assert not Role.objects.filter(name="reader").exists()


def test_it_rejects_scopes_of_another_realm_for_a_new_client(console, alpha, bravo):
    from authserver.models import Client

    response = console.post(
        "/admin/authserver/client/add/",
        {
            "realm": alpha.pk,
            "client_id": "new-client",
            "enabled": "on",
            "client_type": "confidential",
            "service_accounts_enabled": "on",
            "default_client_scopes": [bravo.client_scopes.get(name="bravo-scope").pk],
            "attributes": "{}",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "default_client_scopes" in errors
    assert not Client.objects.filter(client_id="new-client").exists()


def test_it_adds_a_role_mapping_of_the_same_realm(console, alpha, bravo):
    user = make_user(alpha, "alice")
    mine = make_role(alpha, "alpha-role")
    url = f"/admin/accounts/user/{user.pk}/change/"
    response = console.post(url, form_data(console.get(url), roles=[mine.pk]))
    assert response.status_code == 302
    assert list(user.roles.all()) == [mine]


def test_it_keeps_the_realm_of_an_existing_object(console, alpha, bravo):
    role = make_role(alpha, "alpha-role")
    url = f"/admin/accounts/role/{role.pk}/change/"
    data = form_data(console.get(url), realm=bravo.pk)
    assert console.post(url, data).status_code == 302
    role.refresh_from_db()
    assert role.realm == alpha


def test_it_rejects_a_duplicate_name_within_the_realm_on_a_change_page(console, alpha, bravo):
    make_user(alpha, "alice")
    bob = make_user(alpha, "bob")
    url = f"/admin/accounts/user/{bob.pk}/change/"
    response = console.post(url, form_data(console.get(url), username="alice"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_it_allows_the_same_name_in_another_realm(console, alpha, bravo):
    bob = make_user(alpha, "bob")
    url = f"/admin/accounts/user/{bob.pk}/change/"
    response = console.post(url, form_data(console.get(url), username="bravo-user"))
    assert response.status_code == 302


def test_it_refuses_to_put_a_group_inside_itself(console, alpha):
    top = make_group(alpha, "top")
    child = make_group(alpha, "child", parent=top)
    url = f"/admin/accounts/group/{top.pk}/change/"
    response = console.post(url, form_data(console.get(url), parent=child.pk))
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    top.refresh_from_db()
    assert top.parent is None
