import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission

from accounts.models import User
from authserver.admin.clients import ClientAdmin
from authserver.admin.users import UserAdmin
from authserver.models import AccessToken, Client, Grant, IDToken, RefreshToken
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db


def test_it_redirects_an_anonymous_visitor_to_the_login_page(client):
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_redirects_a_non_staff_user_to_the_login_page(client):
    user = make_user(None, "mallory")  # no realm given: the master realm
    assert user.realm.name == "master" and not user.is_staff
    client.force_login(user)
    for url in ["/admin/", "/admin/accounts/user/", "/admin/authserver/client/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_it_logs_in_a_master_realm_staff_user_with_the_admin_login(client, root):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": "Root-Password-1", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "authserver console" in page.content.decode()


def test_it_refuses_a_staff_user_of_another_realm_at_the_admin_login(client, root):
    acme = make_realm("acme")
    make_user(acme, "carol", is_staff=True, is_superuser=True)
    response = client.post("/admin/login/", {"username": "carol", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_lets_a_staff_user_do_what_the_permissions_allow(client, root):
    staff = make_user(None, "viewer", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    staff.administered_realms.add(root.realm)  # permissions say what, realms say where
    client.force_login(staff)
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get(f"/admin/accounts/user/{root.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/user/add/").status_code == 403
    assert client.get("/admin/authserver/client/").status_code == 403


def test_it_replaces_the_toolkit_admin_and_registers_no_token_pages():
    assert isinstance(admin.site._registry[Client], ClientAdmin)
    assert isinstance(admin.site._registry[User], UserAdmin)
    for model in (AccessToken, RefreshToken, IDToken, Grant):
        assert not admin.site.is_registered(model)


def test_it_has_no_token_pages(console):
    for url in [
        "/admin/authserver/accesstoken/",
        "/admin/authserver/refreshtoken/",
        "/admin/authserver/idtoken/",
        "/admin/authserver/grant/",
    ]:
        assert console.get(url).status_code == 404, url
