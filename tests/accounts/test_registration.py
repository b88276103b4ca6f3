"""Self-registration where the realm allows it: the password policy, e-mail as username, the
address verified before the first login, and no telling which accounts exist."""

from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import User, UserSession
from tests.factories import make_realm, make_role, make_user
from tests.mailbox import mailbox  # noqa: F401 (a fixture)
from tests.protocol.helpers import authorize_params, make_web_client, redirect_params

pytestmark = pytest.mark.django_db

GOOD = "Brand-New-Pass-42"


def register(http, realm, **fields):
    data = {
        "username": "dora",
        "email": "dora@example.com",
        "firstName": "Dora",
        "lastName": "Explorer",
        "password": GOOD,
        "password-confirm": GOOD,
        "next": f"/realms/{realm.name}/x",
        **fields,
    }
    return http.post(f"/realms/{realm.name}/login/registrations", data)


def test_it_registers_and_signs_in_a_new_user_with_the_default_role(client):
    realm = make_realm(registration_allowed=True, password_policy="length(10)")
    role = make_role(realm, "default-roles-x")
    realm.default_role = role
    realm.save()
    assert "Register" in client.get(f"/realms/{realm.name}/login").content.decode()
    weak = register(client, realm, password="short", **{"password-confirm": "short"})
    assert weak.status_code == 400 and "at least 10 characters" in weak.content.decode()
    response = register(client, realm)
    assert response.status_code == 302 and response["Location"] == f"/realms/{realm.name}/x"
    user = User.objects.get(realm=realm, username="dora")
    assert user.check_password(GOOD) and not user.email_verified
    assert list(user.roles.all()) == [role]
    assert UserSession.objects.filter(user=user).exists()


def test_it_is_refused_where_the_realm_does_not_allow_it(client):
    realm = make_realm()
    assert register(client, realm).status_code == 404
    assert "Register" not in client.get(f"/realms/{realm.name}/login").content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_the_address_can_be_the_username(client):
    realm = make_realm(registration_allowed=True, registration_email_as_username=True)
    response = register(client, realm, username="", email="Dora@Example.com")
    assert response.status_code == 302
    assert User.objects.filter(realm=realm, username="dora@example.com").exists()


def test_a_taken_name_is_said_plainly_without_verification(client):
    realm = make_realm(registration_allowed=True)
    make_user(realm, "dora")
    response = register(client, realm)
    assert response.status_code == 400 and "exists already" in response.content.decode()


def test_with_verification_a_taken_name_looks_like_a_new_account(client, mailbox):  # noqa: F811
    realm = make_realm(
        registration_allowed=True, verify_email=True, smtp_server=mailbox.smtp_server
    )
    make_user(realm, "taken", email="dora@example.com")
    fresh = register(client, realm, username="newcomer", email="new@example.com")
    assert fresh["Location"] == f"/realms/{realm.name}/login/verify-email"
    fresh_page = client.get(fresh["Location"]).content.decode()
    assert "Verify your e-mail address" in fresh_page
    assert not UserSession.objects.exists()
    taken = register(client, realm, username="someone", email="dora@example.com")
    assert taken.status_code == 200 and "Verify your e-mail address" in taken.content.decode()
    assert not User.objects.filter(username="someone").exists()
    (notice,) = mailbox.to("dora@example.com")
    assert "tried to register" in notice["Subject"]
    (link,) = mailbox.to("new@example.com")
    assert "/login/action/verify-email" in link.get_body().get_content()


def test_a_second_realm_keeps_its_own_usernames(client):
    realm = make_realm("one", registration_allowed=True)
    other = make_realm("two")
    make_user(other, "dora", email="dora@example.com")
    assert register(client, realm)["Location"] == "/realms/one/x"
    assert User.objects.filter(username="dora").count() == 2


def test_keycloaks_registrations_endpoint_registers_then_authorizes(client):
    realm = make_realm(registration_allowed=True)
    make_web_client(realm)
    query = authorize_params(scope="openid")
    entry = client.get(f"/realms/{realm.name}/protocol/openid-connect/registrations", query)
    assert entry.status_code == 302
    assert entry["Location"].startswith(f"/realms/{realm.name}/login/registrations?next=")
    next_url = parse_qs(urlsplit(entry["Location"]).query)["next"][0]
    registered = register(client, realm, next=next_url)
    assert registered["Location"] == next_url
    assert "code" in redirect_params(client.get(next_url))


def test_the_registrations_endpoint_is_the_login_where_registration_is_off(client):
    realm = make_realm()
    entry = client.get(
        f"/realms/{realm.name}/protocol/openid-connect/registrations", {"client_id": "app"}
    )
    assert entry["Location"] == f"/realms/{realm.name}/protocol/openid-connect/auth?client_id=app"
