"""/admin/realms/{realm}/users: subjects as ids, passwords under the realm's policy, admin roles
handed out only by who holds them."""

import pytest
from django.contrib.auth.hashers import check_password

from accounts.models import Event, User
from authserver.adminapi import realm_management as rm
from tests import hashers
from tests.adminapi.helpers import admin_roles, admin_token, call, superuser_token, url
from tests.factories import make_group, make_realm, make_role, make_user
from tests.protocol.helpers import login

pytestmark = pytest.mark.django_db

PASSWORD = "Sturdy-Pass-42!"


@pytest.fixture
def manager(realm):
    return admin_token(realm, rm.MANAGE_USERS)


def test_it_creates_a_user_who_can_log_in(client, realm, manager):
    make_role(realm, "reader")
    make_group(realm, "staff")
    body = {
        "username": "bob",
        "email": "bob@example.com",
        "firstName": "Bob",
        "enabled": True,
        "realmRoles": ["reader"],
        "groups": ["/staff"],
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
    }
    response = call(client, "POST", url(realm, "users"), manager, body)
    assert response.status_code == 201, response.content
    user = User.objects.get(realm=realm, username="bob")
    assert response["Location"] == f"/admin/realms/acme/users/{user.subject}"
    shown = response.json()
    assert shown["id"] == str(user.subject)
    assert shown["realmRoles"] == ["reader"] and shown["groups"] == ["/staff"]
    assert "credentials" not in shown
    assert login(client, realm, "bob", PASSWORD).status_code == 302
    event = Event.objects.get(type="CREATE")
    assert event.resource_type == "USER" and event.resource_path == f"users/{user.subject}"
    assert PASSWORD not in str(event.after)


def test_it_enforces_the_password_policy(client, realm, manager):
    realm.password_policy = "length(12) and digits(1)"
    realm.save()
    body = {"username": "bob", "credentials": [{"type": "password", "value": "short"}]}
    response = call(client, "POST", url(realm, "users"), manager, body)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"credentials[0].value"}
    assert "12 characters" in response.json()["fields"]["credentials[0].value"]
    assert not User.objects.filter(username="bob").exists()


def test_it_resets_a_password(client, realm, manager):
    user = make_user(realm, "bob")
    path = url(realm, "users", str(user.subject), "reset-password")
    body = {"type": "password", "value": PASSWORD, "temporary": True}
    assert call(client, "PUT", path, manager, body).status_code == 204
    user.refresh_from_db()
    assert check_password(PASSWORD, user.password) and user.password_temporary
    event = Event.objects.get(type="ACTION")
    assert event.resource_path == f"users/{user.subject}/reset-password"


def test_it_names_the_bad_field_of_a_reset(client, realm, manager):
    realm.password_policy = "digits(3)"
    realm.save()
    user = make_user(realm, "bob")
    path = url(realm, "users", str(user.subject), "reset-password")
    weak = call(client, "PUT", path, manager, {"type": "password", "value": "abc"})
    assert weak.status_code == 400 and list(weak.json()["fields"]) == ["value"]
    wrong = call(client, "PUT", path, manager, {"type": "otp", "value": "abc"})
    assert wrong.status_code == 400 and list(wrong.json()["fields"]) == ["type"]


def test_it_updates_the_fields_given(client, realm, manager):
    user = make_user(realm, "bob", email="bob@example.com")
    password = user.password
    response = call(
        client, "PUT", url(realm, "users", str(user.subject)), manager, {"firstName": "Robert"}
    )
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.first_name == "Robert" and user.email == "bob@example.com"
    assert user.password == password
    event = Event.objects.get(type="UPDATE")
    assert event.before["firstName"] == "" and event.after["firstName"] == "Robert"


def test_it_refuses_changing_the_id(client, realm, manager):
    user = make_user(realm, "bob")
    body = {"id": "00000000-0000-0000-0000-000000000000"}
    response = call(client, "PUT", url(realm, "users", str(user.subject)), manager, body)
    assert response.status_code == 400 and list(response.json()["fields"]) == ["id"]


def test_it_deletes_a_user(client, realm, manager):
    user = make_user(realm, "bob")
    assert (
        call(client, "DELETE", url(realm, "users", str(user.subject)), manager).status_code == 204
    )
    assert not User.objects.filter(pk=user.pk).exists()
    assert Event.objects.get(type="DELETE").before["username"] == "bob"


def test_it_searches_users(client, realm, manager):
    make_user(realm, "bob", email="bob@example.com")
    make_user(realm, "alice")
    found = call(client, "GET", url(realm, "users") + "?search=bob", manager).json()
    assert [user["username"] for user in found] == ["bob"]
    exact = call(client, "GET", url(realm, "users") + "?username=bo&exact=true", manager).json()
    assert exact == []
    paged = call(client, "GET", url(realm, "users") + "?first=1&max=1", manager).json()
    assert len(paged) == 1
    bad = call(client, "GET", url(realm, "users") + "?max=many", manager)
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["max"]


def test_it_lists_users_in_a_number_of_queries_that_does_not_grow_with_them(
    client, realm, manager, django_assert_max_num_queries
):
    group = make_group(realm, "staff")
    for n in range(12):
        make_user(realm, f"member{n}").realm_groups.add(group)

    # The caller's token and realm, the clients the realm lets call the admin API, the page of
    # users with their service-account client, their roles, groups and authenticators
    # (prefetched), the realm's group paths; it was three more per user.
    with django_assert_max_num_queries(14):
        listed = call(client, "GET", url(realm, "users"), manager).json()
    assert len([user for user in listed if user["groups"] == ["/staff"]]) == 12


def test_it_refuses_a_duplicate_username_with_409(client, realm, manager):
    make_user(realm, "bob")
    response = call(client, "POST", url(realm, "users"), manager, {"username": "bob"})
    assert response.status_code == 409


def test_it_names_an_unknown_role_or_group(client, realm, manager):
    for body, field in (
        ({"username": "bob", "realmRoles": ["ghost"]}, "realmRoles[0]"),
        ({"username": "bob", "clientRoles": {"nope": ["x"]}}, "clientRoles.nope"),
        ({"username": "bob", "groups": ["/ghosts"]}, "groups[0]"),
        ({"username": ["bob"]}, "username"),
    ):
        response = call(client, "POST", url(realm, "users"), manager, body)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == [field]


def test_it_lets_only_a_holder_hand_out_an_admin_role(client, realm, manager):
    body = {"username": "mallory", "clientRoles": {rm.CLIENT_ID: [rm.REALM_ADMIN]}}
    response = call(client, "POST", url(realm, "users"), manager, body)
    assert response.status_code == 403
    assert not User.objects.filter(username="mallory").exists()
    body["clientRoles"] = {rm.CLIENT_ID: [rm.MANAGE_USERS]}
    assert call(client, "POST", url(realm, "users"), manager, body).status_code == 201
    boss = admin_token(realm, rm.REALM_ADMIN)
    body = {"username": "deputy", "clientRoles": {rm.CLIENT_ID: [rm.REALM_ADMIN]}}
    assert call(client, "POST", url(realm, "users"), boss, body).status_code == 201


def test_it_takes_a_role_away_at_once(client, realm):
    user = make_user(realm, "admin")
    user.roles.add(*admin_roles(realm, rm.VIEW_USERS))
    from tests.adminapi.helpers import token_for

    token = token_for(user)
    assert call(client, "GET", url(realm, "users"), token).status_code == 200
    user.roles.clear()
    assert call(client, "GET", url(realm, "users"), token).status_code == 403


def test_it_lets_only_a_superuser_change_a_superuser(client):
    master = make_realm("master")
    root = make_user(master, "root", is_superuser=True)
    token = admin_token(master, rm.REALM_ADMIN)
    path = url(master, "users", str(root.subject))
    assert call(client, "PUT", path, token, {"enabled": False}).status_code == 403
    assert call(client, "PUT", path, superuser_token(), {"firstName": "R"}).status_code == 204


def test_it_answers_404_for_a_user_of_another_realm(client, realm, other_realm, manager):
    charlie = make_user(other_realm, "charlie")
    for method in ("GET", "PUT", "DELETE"):
        path = url(realm, "users", str(charlie.subject))
        assert call(client, method, path, manager, {}).status_code == 404
    assert call(client, "GET", url(realm, "users", "not-a-uuid"), manager).status_code == 404


def test_it_refuses_a_password_hash_that_costs_too_much_to_verify(client, realm, manager):
    costly = hashers.BEYOND_THE_BOUND["pbkdf2-iterations"]
    body = {"username": "bob", "credentials": [{"type": "password", "hashedValue": costly}]}
    response = call(client, "POST", url(realm, "users"), manager, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    fields = response.json()["fields"]
    assert list(fields) == ["credentials[0].hashedValue"]
    assert fields["credentials[0].hashedValue"].startswith(
        "costs more to verify than this server allows (1300001 iterations"
    )
    assert not User.objects.filter(username="bob").exists()


def test_it_refuses_keycloak_hash_iterations_beyond_the_bound_on_update_and_reset(
    client, realm, manager
):
    user = make_user(realm, "bob")
    before = User.objects.get(pk=user.pk).password
    update = call(
        client,
        "PUT",
        url(realm, "users", str(user.subject)),
        manager,
        {"credentials": [hashers.COSTLY_KEYCLOAK_CREDENTIAL]},
    )
    assert update.status_code == 400
    assert list(update.json()["fields"]) == ["credentials[0].credentialData"]
    assert "100000000 iterations" in update.json()["fields"]["credentials[0].credentialData"]
    reset = call(
        client,
        "PUT",
        url(realm, "users", str(user.subject), "reset-password"),
        manager,
        hashers.COSTLY_KEYCLOAK_CREDENTIAL,
    )
    assert reset.status_code == 400
    assert list(reset.json()["fields"]) == ["credentialData"]
    assert User.objects.get(pk=user.pk).password == before
