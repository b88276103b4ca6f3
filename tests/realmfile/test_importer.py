"""Importing a realm file: what lands in the database, and that a bad file lands nothing."""

import base64
import hashlib
import json

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from accounts.models import ClientScope, Group, Realm, Role, User, UserSession
from authserver.models import AccessToken, Client, RefreshToken
from authserver.realmfile import reader
from authserver.realmfile.errors import RealmExistsError, RealmFileError
from authserver.realmfile.exporter import export_realm
from authserver.realmfile.importer import import_realm
from tests.factories import make_client, make_realm, make_user
from tests.realmfile.documents import demo, load, quick_demo, small, snapshot

pytestmark = pytest.mark.django_db

SHA256_SECRET = make_password("the-secret", hasher="authserver_sha256")


def keycloak_credential(password: str, *, iterations=27500, salt=b"0123456789abcdef") -> dict:
    """A password credential as Keycloak exports it (pbkdf2-sha256, 512-bit key)."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 64)
    return {
        "id": "1b0a9c7e-5d1e-4c8e-9a4e-0c8f0e6b6a11",
        "type": "password",
        "userLabel": "My password",
        "createdDate": 1700000000000,
        "secretData": json.dumps(
            {
                "value": base64.b64encode(digest).decode(),
                "salt": base64.b64encode(salt).decode(),
                "additionalParameters": {},
            }
        ),
        "credentialData": json.dumps(
            {"hashIterations": iterations, "algorithm": "pbkdf2-sha256", "additionalParameters": {}}
        ),
    }


def test_it_imports_the_demo_realm():
    realm = load(demo())
    assert realm.display_name == "Demo" and realm.default_signature_algorithm == "RS256"
    assert realm.password_policy == "length(8) and digits(1) and notUsername"
    web = Client.objects.get(realm=realm, client_id="demo-web")
    assert web.client_type == Client.CLIENT_CONFIDENTIAL
    assert web.authorization_grant_type == Client.GRANT_AUTHORIZATION_CODE
    assert web.redirect_uris.split()[0] == "http://127.0.0.1:8000/realms/demo/account"
    assert web.post_logout_redirect_uris == "http://localhost:3000/ http://127.0.0.1:3000/"
    assert web.pkce_method == ""
    assert sorted(web.default_client_scopes.values_list("name", flat=True)) == [
        "email",
        "openid",
        "profile",
        "roles",
    ]
    spa = Client.objects.get(realm=realm, client_id="demo-spa")
    assert spa.client_type == Client.CLIENT_PUBLIC and spa.client_secret == ""
    assert spa.allowed_origins == "http://localhost:5173" and spa.pkce_method == "S256"
    service = Client.objects.get(realm=realm, client_id="orders-service")
    assert service.authorization_grant_type == Client.GRANT_CLIENT_CREDENTIALS
    assert service.service_account.username == "service-account-orders-service"
    assert not service.service_account.has_usable_password()
    orders = ClientScope.objects.get(realm=realm, name="orders:write")
    assert orders.audiences == ["orders"]
    assert ClientScope.objects.get(realm=realm, name="payments:write").audiences == ["payments"]
    alice = User.objects.get(realm=realm, username="alice")
    assert sorted(alice.roles.values_list("name", flat=True)) == ["admin", "user"]
    assert alice.check_password("alice-Password1") and alice.email_verified
    bob = User.objects.get(realm=realm, username="bob")
    assert [group.path for group in bob.realm_groups.all()] == ["/staff"]
    assert Role.objects.get(realm=realm, client=web, name="viewer")


def test_it_creates_the_built_in_scopes_without_their_being_declared():
    realm = load(small())
    names = set(ClientScope.objects.filter(realm=realm).values_list("name", flat=True))
    assert names == set(ClientScope.BUILT_IN)
    client = Client.objects.get(realm=realm, client_id="app")
    assert sorted(client.default_client_scopes.values_list("name", flat=True)) == [
        "openid",
        "profile",
    ]


def test_it_updates_a_built_in_scope_that_the_file_declares():
    realm = load(small(clientScopes=[{"name": "email", "description": "Where we write to you"}]))
    scopes = ClientScope.objects.filter(realm=realm, name="email")
    assert [scope.description for scope in scopes] == ["Where we write to you"]


def test_it_hashes_a_secret_given_in_clear():
    realm = load(demo())
    web = Client.objects.get(realm=realm, client_id="demo-web")
    assert web.client_secret.startswith("authserver_sha256$")
    assert check_password("demo-web-secret", web.client_secret)
    assert not check_password("wrong-secret", web.client_secret)


def test_it_hashes_a_secret_in_clear_even_when_it_looks_like_a_hash():
    document = demo()
    document["clients"][0]["secret"] = SHA256_SECRET
    realm = load(document)
    web = Client.objects.get(realm=realm, client_id="demo-web")
    assert web.client_secret != SHA256_SECRET
    assert check_password(SHA256_SECRET, web.client_secret)
    assert not check_password("the-secret", web.client_secret)


def test_it_stores_a_hashed_secret_as_given():
    document = demo()
    del document["clients"][0]["secret"]
    document["clients"][0]["hashedSecret"] = SHA256_SECRET
    realm = load(document)
    web = Client.objects.get(realm=realm, client_id="demo-web")
    assert web.client_secret == SHA256_SECRET
    assert check_password("the-secret", web.client_secret)


@pytest.mark.parametrize(
    "hashed",
    [make_password("the-secret", hasher="pbkdf2_sha256"), "the-secret", "authserver_sha256$"],
    ids=["password-hasher", "clear-text", "truncated"],
)
def test_it_rejects_a_hashed_secret_not_made_by_the_secret_hasher(hashed):
    document = demo()
    del document["clients"][0]["secret"]
    document["clients"][0]["hashedSecret"] = hashed
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert raised.value.path == "clients[0].hashedSecret"
    assert not Realm.objects.filter(name="demo").exists()


def test_it_refuses_both_a_secret_and_a_hashed_secret():
    document = demo()
    document["clients"][0].update({"hashedSecret": SHA256_SECRET})
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert str(raised.value) == (
        "clients[0].hashedSecret: give either secret or hashedSecret, not both"
    )


@pytest.mark.parametrize("secret", [None, "", "**********"], ids=["none", "empty", "masked"])
def test_it_gives_a_fresh_secret_to_a_confidential_client_without_a_usable_one(secret):
    # As Keycloak does for a client without one; its partial export masks every secret.
    document = demo()
    document["clients"][0]["secret"] = secret
    reading = reader.read(document)
    spec = reading.realm.clients[0]
    assert spec.generated_secret
    assert len(spec.secret) >= 32 and spec.secret != "**********"
    realm = import_realm(reading.realm)
    stored = Client.objects.get(realm=realm, client_id=spec.client_id)
    assert check_password(spec.secret, stored.client_secret)


def test_it_leaves_a_public_client_without_a_secret():
    realm = load(small())
    assert Client.objects.get(realm=realm, client_id="app").client_secret == ""


def test_it_sets_passwords_in_clear_without_the_password_policy():
    document = small(passwordPolicy="length(20) and upperCase(2)")
    document["users"][0]["credentials"] = [
        {"type": "password", "value": "short", "temporary": True}
    ]
    realm = load(document)
    alice = User.objects.get(realm=realm, username="alice")
    assert alice.password.startswith("argon2$argon2id$")
    assert alice.check_password("short")
    assert alice.password_temporary


@pytest.mark.parametrize("hasher", ["argon2", "pbkdf2_sha256"])
def test_it_stores_a_hashed_password_as_given(hasher):
    encoded = make_password("alice-Password1", hasher=hasher)
    document = small()
    document["users"][0]["credentials"] = [{"type": "password", "hashedValue": encoded}]
    realm = load(document)
    alice = User.objects.get(realm=realm, username="alice")
    assert alice.password == encoded and not alice.password_temporary
    assert authenticate(None, username="alice", password="alice-Password1", realm=realm) == alice


@pytest.mark.parametrize(
    "encoded",
    [
        SHA256_SECRET,
        "md5$salt$0123456789abcdef0123456789abcdef",
        "alice-Password1",
        "pbkdf2_sha256$many$salt$hash",
    ],
    ids=["client-secret-hasher", "unknown-hasher", "clear-text", "malformed"],
)
def test_it_rejects_a_hashed_password_it_would_not_verify(encoded):
    document = small()
    document["users"][0]["credentials"] = [{"type": "password", "hashedValue": encoded}]
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert raised.value.path == "users[0].credentials[0].hashedValue"


def test_it_lets_a_user_exported_from_keycloak_log_in():
    document = small()
    document["users"][0]["credentials"] = [keycloak_credential("kc-Password1")]
    realm = load(document)
    alice = User.objects.get(realm=realm, username="alice")
    assert alice.password.startswith("keycloak_pbkdf2_sha256$27500$")
    assert len(alice.password) <= User._meta.get_field("password").max_length
    assert authenticate(None, username="alice", password="wrong-Password1", realm=realm) is None
    assert authenticate(None, username="alice", password="kc-Password1", realm=realm) == alice
    # The first successful login re-hashes the password with this server's hasher.
    alice.refresh_from_db()
    assert alice.password.startswith("argon2$")
    assert alice.check_password("kc-Password1")


def test_it_keeps_the_iterations_of_a_keycloak_password():
    document = small()
    document["users"][0]["credentials"] = [keycloak_credential("kc-Password1", iterations=1000)]
    realm = load(document)
    alice = User.objects.get(realm=realm, username="alice")
    assert alice.password.startswith("keycloak_pbkdf2_sha256$1000$")
    assert alice.check_password("kc-Password1")


def test_it_gives_a_user_without_credentials_no_usable_password():
    document = small()
    document["users"][0]["credentials"] = []
    realm = load(document)
    assert not User.objects.get(realm=realm, username="alice").has_usable_password()


def test_it_maps_group_and_client_roles():
    document = demo()
    document["groups"] = [
        {
            "name": "staff",
            "realmRoles": ["user"],
            "subGroups": [{"name": "ops", "clientRoles": {"demo-web": ["viewer"]}}],
        }
    ]
    document["users"][0]["groups"] = ["/staff/ops"]
    document["users"][0]["clientRoles"] = {"demo-web": ["viewer"]}
    realm = load(document)
    ops = Group.objects.get(realm=realm, name="ops")
    assert ops.parent.name == "staff" and ops.path == "/staff/ops"
    assert [str(role) for role in ops.roles.all()] == ["demo-web/viewer"]
    alice = User.objects.get(realm=realm, username="alice")
    assert list(alice.realm_groups.all()) == [ops]
    assert sorted(str(role) for role in alice.roles.all()) == ["admin", "demo-web/viewer", "user"]


def test_it_keeps_the_user_id_as_the_token_subject():
    document = demo()
    realm = load(document)
    alice = User.objects.get(realm=realm, username="alice")
    assert str(alice.subject) == document["users"][0]["id"]
    load(demo(), overwrite=True)
    replaced = User.objects.get(realm__name="demo", username="alice")
    assert replaced.pk != alice.pk and replaced.subject == alice.subject


def test_it_makes_a_new_subject_for_a_user_without_an_id():
    realm = load(small())
    assert User.objects.get(realm=realm, username="alice").subject is not None


def test_it_refuses_a_user_id_taken_in_another_realm():
    document = quick_demo()
    other = make_realm("other")
    make_user(other, "someone", password=None, subject=document["users"][1]["id"])
    before = snapshot()
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert str(raised.value) == "users[1].id: another realm already has a user with this id"
    assert snapshot() == before


def test_it_refuses_to_replace_an_existing_realm_unless_asked():
    load(demo())
    before = snapshot()
    with pytest.raises(RealmExistsError) as raised:
        load(demo())
    assert str(raised.value) == 'realm: realm "demo" already exists'
    assert snapshot() == before


def test_it_replaces_the_contents_of_a_realm_when_asked():
    load(demo())
    bob = User.objects.get(realm__name="demo", username="bob")
    document = demo()
    document["users"] = [user for user in document["users"] if user["username"] != "bob"]
    document["users"][0]["realmRoles"] = ["user"]
    document["clients"] = [c for c in document["clients"] if c["clientId"] != "demo-spa"]
    realm = load(document, overwrite=True)
    assert sorted(User.objects.filter(realm=realm).values_list("username", flat=True)) == [
        "alice",
        "service-account-orders-service",
    ]
    assert not User.objects.filter(pk=bob.pk).exists()
    assert not Client.objects.filter(realm=realm, client_id="demo-spa").exists()
    alice = User.objects.get(realm=realm, username="alice")
    assert list(alice.roles.values_list("name", flat=True)) == ["user"]
    assert Realm.objects.filter(name="demo").count() == 1


def test_it_replaces_a_realm_whose_users_hold_sessions_and_tokens():
    realm = load(quick_demo())
    alice = User.objects.get(realm=realm, username="alice")
    web = Client.objects.get(realm=realm, client_id="demo-web")
    now = timezone.now()
    UserSession.objects.create(
        realm=realm, user=alice, key_hash="k" * 64, started=now, last_seen=now
    )
    access = AccessToken.objects.create(
        user=alice, application=web, token="access", expires=now, scope="openid"
    )
    RefreshToken.objects.create(user=alice, application=web, token="refresh", access_token=access)
    load(quick_demo(), overwrite=True)
    assert not UserSession.objects.exists()
    assert not AccessToken.objects.exists() and not RefreshToken.objects.exists()
    assert User.objects.filter(realm__name="demo", username="alice").exists()


def test_it_leaves_other_realms_alone_when_replacing_one():
    other = make_realm("other")
    make_user(other, "alice")
    make_client(other, "demo-web")
    before = export_realm(other)
    load(demo())
    load(demo(), overwrite=True)
    assert export_realm(other) == before
    assert User.objects.filter(realm=other).count() == 1


def test_it_never_replaces_the_master_realm():
    master = make_realm("master")
    admin = make_user(master, "admin", is_staff=True, is_superuser=True)
    with pytest.raises(RealmFileError) as raised:
        load(small(name="master"), overwrite=True)
    assert "master realm" in str(raised.value)
    assert User.objects.filter(pk=admin.pk, is_superuser=True).exists()


def _without(section, key, value):
    def change(document):
        document[section] = [entry for entry in document[section] if entry[key] != value]

    return change


def _set(*steps_and_value):
    *steps, last, value = steps_and_value

    def change(document):
        target = document
        for step in steps:
            target = target[step]
        target[last] = value

    return change


def _append(*steps_and_value):
    *steps, value = steps_and_value

    def change(document):
        target = document
        for step in steps:
            target = target[step]
        target.append(value)

    return change


def _delete(*steps):
    *path, last = steps

    def change(document):
        target = document
        for step in path:
            target = target[step]
        del target[last]

    return change


MALFORMED = {
    "missing-realm-name": (_delete("realm"), "realm: is required"),
    "wrong-type-flag": (_set("enabled", "yes"), "enabled: expected true or false, not a string"),
    "wrong-type-count": (
        _set("accessTokenLifespan", True),
        "accessTokenLifespan: expected a whole number, not true or false",
    ),
    "wrong-type-list": (_set("clients", {}), "clients: expected a list, not an object"),
    "wrong-type-roles": (
        _set("users", 2, "realmRoles", "user"),
        "users[2].realmRoles: expected a list, not a string",
    ),
    "wrong-type-user": (_append("users", "carol"), "users[3]: expected an object, not a string"),
    "undefined-realm-role": (
        _set("users", 2, "realmRoles", ["ghost"]),
        'users[2].realmRoles[0]: role "ghost" is not defined',
    ),
    "undefined-client-role": (
        _set("users", 0, "clientRoles", {"demo-web": ["viewer", "ghost"]}),
        'users[0].clientRoles.demo-web[1]: role "ghost" of client "demo-web" is not defined',
    ),
    "undefined-group-role": (
        _set("groups", 0, "realmRoles", ["ghost"]),
        'groups[0].realmRoles[0]: role "ghost" is not defined',
    ),
    "undefined-group": (
        _set("users", 1, "groups", ["/staff", "/ghost"]),
        'users[1].groups[1]: group "/ghost" is not defined',
    ),
    "undefined-client-scope": (
        _append("clients", 0, "optionalClientScopes", "ghost"),
        'clients[0].optionalClientScopes[3]: client scope "ghost" is not defined',
    ),
    "undefined-client-of-roles": (
        _set("roles", "client", "ghost", [{"name": "viewer"}]),
        'roles.client.ghost: client "ghost" is not defined',
    ),
    "undefined-client-of-user-roles": (
        _set("users", 0, "clientRoles", {"ghost": ["viewer"]}),
        'users[0].clientRoles.ghost: client "ghost" is not defined',
    ),
    "undefined-service-account-client": (
        _set("users", 2, "serviceAccountClientId", "ghost"),
        'users[2].serviceAccountClientId: client "ghost" is not defined',
    ),
    "duplicate-username": (
        _append("users", {"username": "alice"}),
        'users[3].username: duplicate username "alice" (also at users[0].username)',
    ),
    "duplicate-client-id": (
        _append("clients", {"clientId": "demo-spa", "publicClient": True}),
        'clients[3].clientId: duplicate clientId "demo-spa" (also at clients[1].clientId)',
    ),
    "duplicate-realm-role": (
        _append("roles", "realm", {"name": "user"}),
        'roles.realm[2].name: duplicate role "user" (also at roles.realm[1].name)',
    ),
    "duplicate-client-role": (
        _append("roles", "client", "demo-web", {"name": "viewer"}),
        'roles.client.demo-web[1].name: duplicate role "viewer" '
        "(also at roles.client.demo-web[0].name)",
    ),
    "duplicate-group": (
        _append("groups", {"name": "staff"}),
        'groups[1].name: duplicate group "staff" (also at groups[0].name)',
    ),
    "duplicate-client-scope": (
        _append("clientScopes", {"name": "orders:read"}),
        'clientScopes[3].name: duplicate client scope "orders:read" (also at clientScopes[0].name)',
    ),
    "invalid-password-policy": (
        _set("passwordPolicy", "length(8) and sparkles(2)"),
        "passwordPolicy: unknown password policy 'sparkles'",
    ),
    "unsupported-signature-algorithm": (
        _set("defaultSignatureAlgorithm", "HS256"),
        'defaultSignatureAlgorithm: "HS256" is not supported (RS256 or ES256 or PS256)',
    ),
    "plain-pkce": (
        _set("clients", 1, "attributes", "pkce.code.challenge.method", "plain"),
        'clients[1].attributes["pkce.code.challenge.method"]: the "plain" PKCE method is not '
        'supported; use "S256"',
    ),
    "audience-mapper-without-audience": (
        _set("clientScopes", 2, "protocolMappers", 0, "config", {}),
        'clientScopes[2].protocolMappers[0].config["included.custom.audience"]: an audience '
        "mapper needs the audience (included.client.audience or included.custom.audience), a "
        "string",
    ),
    "other-credential-type": (
        _set("users", 0, "credentials", 0, "type", "kerberos"),
        'users[0].credentials[0].type: only "password", "otp", "webauthn" and '
        '"webauthn-passwordless" credentials are supported, not "kerberos"',
    ),
    # Found only while writing, after the realm, its clients and roles are in: rolled back.
    "invalid-email": (
        _set("users", 1, "email", "bob-at-example"),
        "users[1].email: Enter a valid email address.",
    ),
    "overlong-group-name": (
        _append("groups", {"name": "g" * 256}),
        "groups[1].name: Ensure this value has at most 255 characters (it has 256).",
    ),
    "overlong-username": (
        _set("users", 2, "username", "u" * 256),
        "users[2].username: Ensure this value has at most 255 characters (it has 256).",
    ),
}


@pytest.mark.parametrize("change, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_it_rejects_a_malformed_file_and_changes_nothing(change, message):
    load(quick_demo())
    other = make_realm("other")
    make_user(other, "alice", password=None)
    before = snapshot()
    document = quick_demo()
    change(document)
    with pytest.raises(RealmFileError) as raised:
        load(document, overwrite=True)
    assert str(raised.value) == message
    assert snapshot() == before


def test_it_rolls_back_a_new_realm_that_fails_halfway():
    document = demo()
    document["users"][1]["email"] = "bob-at-example"
    with pytest.raises(RealmFileError):
        load(document)
    assert not Realm.objects.filter(name="demo").exists()
    assert not Client.objects.exists() and not User.objects.exists()
    assert not ClientScope.objects.exists() and not Role.objects.exists()


def test_keycloaks_update_password_action_makes_the_password_temporary(client):
    document = small()
    alice = document["users"][0]
    alice["credentials"] = [{"type": "password", "value": "Initial-Pass-42"}]
    alice["requiredActions"] = ["update_user_locale", "UPDATE_PASSWORD"]
    assert reader.read(document).ignored == ("users[0].requiredActions[0]",)
    realm = load(document)
    response = client.post(
        f"/realms/{realm.name}/login",
        {"username": "alice", "password": "Initial-Pass-42", "next": f"/realms/{realm.name}/x"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/realms/{realm.name}/login/update-password"


def test_a_required_action_of_a_user_without_a_password_changes_nothing():
    document = small()
    document["users"][0].pop("credentials", None)
    document["users"][0]["requiredActions"] = ["UPDATE_PASSWORD"]
    realm = load(document)
    alice = User.objects.get(realm=realm, username="alice")
    assert not alice.has_usable_password() and not alice.password_temporary


def test_required_actions_must_be_a_list_of_names():
    document = small()
    document["users"][0]["requiredActions"] = "UPDATE_PASSWORD"
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert str(raised.value).startswith("users[0].requiredActions:")


def test_it_imports_and_exports_keycloaks_dpop_attribute():
    document = small()
    document["clients"][0]["attributes"] = {"dpop.bound.access.tokens": "true"}

    realm = load(document)

    app = Client.objects.get(realm=realm, client_id="app")
    assert app.attributes["dpop.bound.access.tokens"] == "true"
    exported = next(c for c in export_realm(realm)["clients"] if c["clientId"] == "app")
    assert exported["attributes"]["dpop.bound.access.tokens"] == "true"
