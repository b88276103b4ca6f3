"""Every route of the table, called by each kind of caller: allowed, lacking the role, of
another realm, without a token. What a route needs comes from the table itself, so a new route
is covered as soon as it is added."""

import pytest

from accounts.models import Event
from authserver.adminapi import realm_management as rm
from authserver.adminapi.routes import ROUTES
from authserver.registration import access_tokens
from tests.adminapi.helpers import admin_token, call
from tests.factories import make_client, make_group, make_role, make_scope, make_user

pytestmark = pytest.mark.django_db

BODIES = {
    "Realm": {"displayName": "Acme"},
    "Client": {"clientId": "new-client", "redirectUris": ["https://new.example/cb"]},
    "Role": {"name": "new-role"},
    "User": {"username": "new-user"},
    "Group": {"name": "new-group"},
    "ClientScope": {"name": "new-scope"},
    "Credential": {"type": "password", "value": "Another-Pass-1"},
    "RequiredActions": ["VERIFY_EMAIL"],
    "RealmFile": {"realm": "new-realm"},
    "InitialAccessCreate": {"count": 1, "expiration": 60},
    "RegistrationPolicy": {"enabled": True},
    "ClientPolicies": {"policies": []},
    "ClientProfiles": {"profiles": []},
}
# A role that does not grant the operation's: the other family's.
UNRELATED = {
    rm.VIEW_REALM: rm.MANAGE_USERS,
    rm.MANAGE_REALM: rm.VIEW_REALM,
    rm.VIEW_CLIENTS: rm.MANAGE_USERS,
    rm.MANAGE_CLIENTS: rm.VIEW_CLIENTS,
    rm.VIEW_USERS: rm.MANAGE_CLIENTS,
    rm.MANAGE_USERS: rm.VIEW_USERS,
}

OPERATIONS = [
    pytest.param(route, method, id=f"{method} {route.path}")
    for route in ROUTES
    for method in route.operations
]

# GET /admin/realms needs no role: it lists only the realms the caller administers.
GUARDED = [param for param in OPERATIONS if param.values[0].operations[param.values[1]].role]


@pytest.fixture
def objects(realm):
    client = make_client(realm, "web", service_accounts_enabled=True)
    client.create_service_account()
    make_role(realm, "reader")
    make_role(realm, "other")  # what a composite route's body names
    make_role(realm, "editor", client=client)
    user = make_user(realm, "bob", email="bob@example.com")
    group = make_group(realm, "staff")
    make_scope(realm, "orders:read")
    initial, _ = access_tokens.issue_initial(realm, count=1, lifetime=60)
    return {
        "realm": realm.name,
        "client_id": "web",
        "of_client": "web",
        "token_id": str(initial.pk),
        "name": None,  # the role's or the scope's: chosen by path below
        "user_id": str(user.subject),
        "group_id": str(group.pk),
    }


def _path(route, objects) -> str:
    path = "/admin/" + route.path
    name = (
        "orders:read"
        if "client-scopes" in route.path
        else ("editor" if "clients/<str:client_id>/roles" in route.path else "reader")
    )
    values = objects | {"name": name}
    for key, value in values.items():
        path = path.replace(f"<str:{key}>", str(value))
    return path


def _send(http, route, method, objects, token):
    operation = route.operations[method]
    if operation.request == "Role[]" and route.path.endswith("/composites"):
        body = [{"name": "other"}]
    elif operation.request == "Role[]":
        # A role-mapping change: a role of the client of the path, or of the realm.
        body = [{"name": "editor" if "role-mappings/clients" in route.path else "reader"}]
    else:
        body = BODIES[operation.request] if operation.request else None
    return call(http, method, _path(route, objects), token, body)


@pytest.mark.parametrize(("route", "method"), OPERATIONS)
def test_it_serves_a_caller_with_the_role(client, realm, objects, route, method):
    operation = route.operations[method]
    token = admin_token(realm, *([operation.role] if operation.role else [rm.VIEW_REALM]))
    response = _send(client, route, method, objects, token)
    assert response["Cache-Control"] == "no-store"
    if operation.master_only:
        assert response.status_code == 403, response.content
        assert not Event.objects.exists()
        return
    assert response.status_code == operation.status, response.content
    if method != "GET":
        assert Event.objects.filter(category="admin", realm=realm).exists()


@pytest.mark.parametrize(("route", "method"), OPERATIONS)
def test_it_serves_realm_admin_everything(client, realm, objects, route, method):
    response = _send(client, route, method, objects, admin_token(realm, rm.REALM_ADMIN))
    operation = route.operations[method]
    expected = 403 if operation.master_only else operation.status
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("route", "method"), GUARDED)
def test_it_refuses_a_caller_without_the_role(client, realm, objects, route, method):
    operation = route.operations[method]
    token = admin_token(realm, UNRELATED[operation.role])
    response = _send(client, route, method, objects, token)
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "insufficient_permissions"
    assert not Event.objects.filter(category="admin").exists()


@pytest.mark.parametrize(("route", "method"), OPERATIONS)
def test_it_validates_ownership(client, realm, other_realm, objects, route, method):
    """Charlie, realm-admin of his own realm, sees nothing of acme: 404, not 403."""
    token = admin_token(other_realm, rm.REALM_ADMIN)
    response = _send(client, route, method, objects, token)
    if "<str:realm>" in route.path:
        assert response.status_code == 404, response.content
        assert response.json()["error"] == "not_found"
    elif route.operations[method].master_only:
        assert response.status_code == 403, response.content
    else:
        assert [entry["realm"] for entry in response.json()] == ["charlie"]
    assert not Event.objects.filter(category="admin").exists()


@pytest.mark.parametrize(("route", "method"), OPERATIONS)
def test_it_challenges_a_request_without_a_token(client, realm, objects, route, method):
    response = _send(client, route, method, objects, None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="admin"'


@pytest.mark.parametrize(("route", "method"), OPERATIONS)
def test_it_lets_a_master_superuser_manage_any_realm(client, realm, objects, route, method):
    from tests.adminapi.helpers import superuser_token

    response = _send(client, route, method, objects, superuser_token())
    assert response.status_code == route.operations[method].status, response.content
