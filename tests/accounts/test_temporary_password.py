import pytest

from accounts import sessions
from accounts.models import User, UserSession
from tests.factories import PASSWORD, make_realm, make_user

pytestmark = pytest.mark.django_db

POLICY = "length(10) and digits(2) and upperCase(1) and specialChars(1) and notUsername(undefined)"


def start_login(client, realm, username="alice"):
    return client.post(
        f"/realms/{realm.name}/login",
        {"username": username, "password": PASSWORD, "next": f"/realms/{realm.name}/x"},
    )


def update(client, realm, new, confirm=None):
    return client.post(
        f"/realms/{realm.name}/login/update-password",
        {"password-new": new, "password-confirm": new if confirm is None else confirm},
    )


def test_it_makes_a_user_with_a_temporary_password_choose_a_new_one(client):
    realm = make_realm()
    make_user(realm, "alice", password_temporary=True)
    response = start_login(client, realm)
    assert response.status_code == 302
    assert response["Location"] == f"/realms/{realm.name}/login/update-password"
    assert sessions.COOKIE_NAME not in response.cookies
    assert not UserSession.objects.exists()

    form = client.get(response["Location"])
    assert 'name="password-new"' in form.content.decode()
    done = update(client, realm, "Brand-New-Pass-42")
    assert done.status_code == 302
    assert done["Location"] == f"/realms/{realm.name}/x"
    assert sessions.COOKIE_NAME in done.cookies
    user = User.objects.get(username="alice")
    assert not user.password_temporary
    assert user.check_password("Brand-New-Pass-42")


def test_it_refuses_mismatched_passwords(client):
    realm = make_realm()
    make_user(realm, "alice", password_temporary=True)
    start_login(client, realm)
    response = update(client, realm, "Brand-New-Pass-42", "Something-Else-42")
    assert response.status_code == 400
    assert "do not match" in response.content.decode()
    assert User.objects.get(username="alice").password_temporary


def test_it_refuses_the_update_page_without_a_pending_login(client):
    realm = make_realm()
    response = update(client, realm, "Brand-New-Pass-42")
    assert response.status_code == 302
    assert response["Location"] == f"/realms/{realm.name}/login"


@pytest.mark.parametrize(
    "password, message",
    [
        ("Short-1!", "at least 10 characters"),
        ("Long-Password-1", "2 digit"),
        ("lower-case-pass-12", "upper-case"),
        ("NoSpecialChars12", "special character"),
    ],
)
def test_it_enforces_the_realm_password_policy(client, password, message):
    realm = make_realm(password_policy=POLICY)
    make_user(realm, "alice", password_temporary=True)
    start_login(client, realm)
    response = update(client, realm, password)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.get(username="alice").check_password(PASSWORD)


def test_it_refuses_the_username_as_password(client):
    realm = make_realm(password_policy="notUsername")
    make_user(realm, "Alice-Smith-99!", password_temporary=True)
    start_login(client, realm, "Alice-Smith-99!")
    response = update(client, realm, "alice-smith-99!")
    assert response.status_code == 400
    assert "must not be the username" in response.content.decode()
