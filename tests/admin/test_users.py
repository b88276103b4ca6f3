import pytest

from accounts import otp
from accounts.models import OTPDevice, User
from tests.accounts.otp_helpers import enrol
from tests.admin.helpers import form_data
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db

POLICY = "length(12) and digits(2) and notUsername"


def _change_page(console, user):
    url = f"/admin/accounts/user/{user.pk}/change/"
    return url, console.get(url)


def test_it_shows_whether_a_password_is_set_but_never_the_hash(console):
    realm = make_realm()
    with_password = make_user(realm, "alice")
    without = make_user(realm, "robot", password=None)
    for user, status in [(with_password, "set"), (without, "not set")]:
        _, response = _change_page(console, user)
        body = response.content.decode()
        assert f'<div class="readonly">{status}</div>' in body
        assert user.password not in body
        assert 'name="password"' not in body
    listing = console.get("/admin/accounts/user/").content.decode()
    assert with_password.password not in listing
    assert ">not set</td>" in listing


def test_it_sets_a_temporary_password(console):
    realm = make_realm(password_policy=POLICY)
    user = make_user(realm, "alice")
    url, response = _change_page(console, user)
    answer = console.post(url, form_data(response, new_password="Brand-New-Pass-42"))
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-New-Pass-42")
    assert user.password_temporary
    assert "Brand-New-Pass-42" not in console.get(url).content.decode()


@pytest.mark.parametrize("password", ["short-1", "alice", "no-digits-at-all"])
def test_it_checks_a_temporary_password_against_the_realm_policy(console, password):
    realm = make_realm(password_policy=POLICY)
    user = make_user(realm, "alice")
    url, response = _change_page(console, user)
    answer = console.post(url, form_data(response, new_password=password))
    assert answer.status_code == 200
    assert "new_password" in answer.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.password_temporary


def test_it_sets_required_actions_and_removes_authenticators(console):
    user = make_user(make_realm(), "alice")
    device, _ = enrol(user, name="Old phone")
    otp.new_recovery_codes(user)
    url, response = _change_page(console, user)
    body = response.content.decode()
    assert "Old phone" in body and "10 recovery code(s) left" in body
    assert otp.secret_of(device) not in body
    answer = console.post(
        url,
        form_data(
            response,
            required_actions=["CONFIGURE_TOTP", "VERIFY_EMAIL"],
            remove_authenticators="on",
        ),
    )
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.required_actions == ["CONFIGURE_TOTP", "VERIFY_EMAIL"]
    assert not OTPDevice.objects.filter(user=user).exists()
    assert otp.recovery_codes_left(user) == 0


def test_it_leaves_the_password_alone_when_none_is_given(console):
    user = make_user(make_realm(), "alice")
    url, response = _change_page(console, user)
    assert console.post(url, form_data(response, first_name="Alice")).status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Alice"
    assert user.check_password(PASSWORD) and not user.password_temporary


def test_it_adds_a_user_with_an_initial_password(console):
    realm = make_realm(password_policy=POLICY)
    response = console.post(
        "/admin/accounts/user/add/",
        {
            "realm": realm.pk,
            "username": "alice",
            "email": "alice@example.com",
            "first_name": "Alice",
            "last_name": "Liddell",
            "is_active": "on",
            "password1": "Initial-Pass-42",
            "password2": "Initial-Pass-42",
            "password_temporary": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(realm=realm, username="alice")
    assert user.check_password("Initial-Pass-42")
    assert user.password_temporary and user.is_active
    assert (user.email, user.get_full_name()) == ("alice@example.com", "Alice Liddell")


def test_it_checks_the_initial_password_against_the_new_users_realm_policy(console):
    strict = make_realm(password_policy=POLICY)
    lenient = make_realm()
    data = {"username": "alice", "is_active": "on", "password1": "Short-1", "password2": "Short-1"}
    refused = console.post("/admin/accounts/user/add/", {**data, "realm": strict.pk})
    assert refused.status_code == 200
    assert "password1" in refused.context["adminform"].form.errors
    assert not User.objects.filter(realm=strict).exists()
    accepted = console.post("/admin/accounts/user/add/", {**data, "realm": lenient.pk})
    assert accepted.status_code == 302


def test_it_rejects_mismatched_initial_passwords(console):
    realm = make_realm()
    response = console.post(
        "/admin/accounts/user/add/",
        {"realm": realm.pk, "username": "alice", "password1": "One-Pass-42", "password2": "x"},
    )
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(realm=realm).exists()


def test_it_adds_a_user_without_a_password(console):
    realm = make_realm()
    response = console.post("/admin/accounts/user/add/", {"realm": realm.pk, "username": "bob"})
    assert response.status_code == 302
    user = User.objects.get(realm=realm, username="bob")
    assert not user.has_usable_password() and not user.password_temporary


def test_it_rejects_a_username_taken_in_the_same_realm(console):
    realm = make_realm()
    make_user(realm, "alice")
    response = console.post("/admin/accounts/user/add/", {"realm": realm.pk, "username": "alice"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert User.objects.filter(realm=realm).count() == 1


def test_it_shows_console_access_only_for_master_realm_users(console, root):
    body = _change_page(console, root)[1].content.decode()
    assert 'name="is_superuser"' in body
    body = _change_page(console, make_user(make_realm(), "alice"))[1].content.decode()
    assert 'name="is_superuser"' not in body and 'name="is_staff"' not in body


def test_it_lets_only_a_superuser_grant_console_rights(client, root):
    from django.contrib.auth.models import Permission

    staff = make_user(None, "helper", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    staff.administered_realms.add(root.realm)
    client.force_login(staff)
    url = f"/admin/accounts/user/{staff.pk}/change/"
    response = client.get(url)
    assert 'name="is_superuser"' not in response.content.decode()
    client.post(url, {**form_data(response), "is_superuser": "on"})
    staff.refresh_from_db()
    assert not staff.is_superuser
