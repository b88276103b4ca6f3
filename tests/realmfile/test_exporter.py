"""Exporting a realm: complete, stable, hashes only, and taken back by the importer unchanged."""

import base64
import hashlib
import json

import pytest
from django.contrib.auth.hashers import check_password, make_password

from accounts.models import Realm, User
from authserver.adminapi import realm_management
from authserver.models import Client
from authserver.realmfile import reader
from authserver.realmfile.exporter import dumps, export_realm
from tests.factories import (
    PASSWORD,
    make_client,
    make_group,
    make_realm,
    make_role,
    make_scope,
    make_user,
)
from tests.realmfile.documents import demo, load

pytestmark = pytest.mark.django_db

WEB_SECRET = "web-secret-" + "w" * 40
SERVICE_SECRET = "service-secret-" + "s" * 40


def keycloak_hash(password: str) -> str:
    salt = b"keycloak-salt-16"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 27500, 32)
    encoded_salt = base64.b64encode(salt).decode()
    return f"keycloak_pbkdf2_sha256$27500${encoded_salt}${base64.b64encode(digest).decode()}"


def make_rich_realm(name="acme") -> Realm:
    """A realm using every field of the file format, built without the importer."""
    realm = make_realm(
        name,
        display_name="Acme Corp",
        enabled=False,
        access_token_lifespan=120,
        sso_session_idle_timeout=600,
        sso_session_max_lifespan=7200,
        revoke_refresh_token=True,
        brute_force_protected=True,
        failure_factor=5,
        password_policy="length(12) and notEmail",
        default_signature_algorithm=Realm.SignatureAlgorithm.ES256,
    )
    orders = make_scope(realm, "orders:read", audience="orders", description="Read orders")
    make_scope(realm, "zz:unused", protocol="openid-connect")
    web = make_client(
        realm,
        "web",
        secret=WEB_SECRET,
        name="Web",
        redirect_uris="https://web.example/cb https://web.example/other",
        allowed_origins="https://web.example",
        post_logout_redirect_uris="https://web.example/bye",
        pkce_method="S256",
        consent_required=True,
        attributes={"display.on.consent.screen": "true", "login_theme": "acme"},
    )
    web.default_client_scopes.set(realm.client_scopes.filter(name__in=["openid", "profile"]))
    web.optional_client_scopes.set([orders])
    make_client(
        realm,
        "spa",
        secret="",
        client_type=Client.CLIENT_PUBLIC,
        redirect_uris="http://localhost:5173/callback",
        pkce_method="S256",
    )
    service = make_client(
        realm,
        "billing",
        secret=SERVICE_SECRET,
        authorization_grant_type=Client.GRANT_CLIENT_CREDENTIALS,
        standard_flow_enabled=False,
        service_accounts_enabled=True,
        redirect_uris="",
        pkce_method="",
    )
    admin = make_role(realm, "admin", description="All of it")
    user_role = make_role(realm, "user")
    viewer = make_role(realm, "viewer", client=web)
    editor = make_role(realm, "editor", client=web, description="Edits")
    staff = make_group(realm, "staff")
    staff.roles.set([user_role])
    ops = make_group(realm, "ops", parent=staff)
    ops.roles.set([editor, admin])
    make_group(realm, "alpha")
    alice = make_user(realm, "alice", email="alice@acme.example", first_name="Alice")
    alice.roles.set([admin, viewer])
    alice.realm_groups.set([ops, staff])
    bob = make_user(realm, "bob", password=None, is_active=False)
    bob.password = make_password("bob-Password1", hasher="pbkdf2_sha256")
    bob.password_temporary = True
    bob.save()
    carol = make_user(realm, "carol", password=None, email_verified=True, last_name="C")
    carol.password = keycloak_hash("carol-Password1")
    carol.save()
    make_user(realm, "dave", password=None)
    robot = make_user(realm, "service-account-billing", password=None)
    service.service_account = robot
    service.save()
    return realm


def test_it_exports_every_field_in_a_stable_order():
    document = export_realm(make_rich_realm())
    assert list(document) == [
        "realm",
        "enabled",
        "displayName",
        "accessTokenLifespan",
        "ssoSessionIdleTimeout",
        "ssoSessionMaxLifespan",
        "revokeRefreshToken",
        "bruteForceProtected",
        "failureFactor",
        "passwordPolicy",
        "defaultSignatureAlgorithm",
        "otpPolicyType",
        "otpPolicyAlgorithm",
        "otpPolicyDigits",
        "otpPolicyPeriod",
        "otpPolicyLookAheadWindow",
        "otpPolicyInitialCounter",
        "otpRequired",
        "webAuthnPolicyRpEntityName",
        "webAuthnPolicySignatureAlgorithms",
        "webAuthnPolicyRpId",
        "webAuthnPolicyAttestationConveyancePreference",
        "webAuthnPolicyAuthenticatorAttachment",
        "webAuthnPolicyRequireResidentKey",
        "webAuthnPolicyUserVerificationRequirement",
        "webAuthnPolicyCreateTimeout",
        "webAuthnPolicyAvoidSameAuthenticatorRegister",
        "webAuthnPolicyAcceptableAaguids",
        "webAuthnPolicyPasswordlessRpEntityName",
        "webAuthnPolicyPasswordlessSignatureAlgorithms",
        "webAuthnPolicyPasswordlessRpId",
        "webAuthnPolicyPasswordlessAttestationConveyancePreference",
        "webAuthnPolicyPasswordlessAuthenticatorAttachment",
        "webAuthnPolicyPasswordlessRequireResidentKey",
        "webAuthnPolicyPasswordlessUserVerificationRequirement",
        "webAuthnPolicyPasswordlessCreateTimeout",
        "webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister",
        "webAuthnPolicyPasswordlessAcceptableAaguids",
        "webAuthnPolicyPasswordlessPasskeysEnabled",
        "registrationAllowed",
        "registrationEmailAsUsername",
        "loginWithEmailAllowed",
        "duplicateEmailsAllowed",
        "resetPasswordAllowed",
        "verifyEmail",
        "smtpServer",
        "clientPolicies",
        "clientProfiles",
        "roles",
        "groups",
        "clientScopes",
        "clients",
        "users",
    ]
    assert document["defaultSignatureAlgorithm"] == "ES256" and document["enabled"] is False
    assert document["roles"] == {
        "realm": [
            {"name": "admin", "description": "All of it"},
            {"name": "user", "description": ""},
        ],
        "client": {
            # Every realm has the admin API's roles (Keycloak's realm-management client).
            "realm-management": [
                {"name": name, "description": description}
                for name, description in sorted(realm_management.ROLES.items())
            ],
            "web": [
                {"name": "editor", "description": "Edits"},
                {"name": "viewer", "description": ""},
            ],
        },
    }
    assert document["groups"] == [
        {"name": "alpha", "realmRoles": [], "clientRoles": {}, "subGroups": []},
        {
            "name": "staff",
            "realmRoles": ["user"],
            "clientRoles": {},
            "subGroups": [
                {
                    "name": "ops",
                    "realmRoles": ["admin"],
                    "clientRoles": {"web": ["editor"]},
                    "subGroups": [],
                }
            ],
        },
    ]
    assert [scope["name"] for scope in document["clientScopes"]] == [
        "email",
        "offline_access",
        "openid",
        "orders:read",
        "profile",
        "roles",
        "zz:unused",
    ]
    assert [client["clientId"] for client in document["clients"]] == [
        "billing",
        "realm-management",
        "spa",
        "web",
    ]
    assert [user["username"] for user in document["users"]] == [
        "alice",
        "bob",
        "carol",
        "dave",
        "service-account-billing",
    ]


def test_it_keeps_the_audience_mapper():
    document = export_realm(make_rich_realm())
    orders = next(scope for scope in document["clientScopes"] if scope["name"] == "orders:read")
    assert orders["protocolMappers"] == [
        {
            "name": "orders-audience",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "config": {"access.token.claim": "true", "included.custom.audience": "orders"},
        }
    ]


def test_it_exports_client_fields_as_keycloak_names_them():
    document = export_realm(make_rich_realm())
    billing, _realm_management, spa, web = document["clients"]
    assert web == {
        "clientId": "web",
        "name": "Web",
        "enabled": True,
        "publicClient": False,
        "hashedSecret": Client.objects.get(client_id="web").client_secret,
        "redirectUris": ["https://web.example/cb", "https://web.example/other"],
        "webOrigins": ["https://web.example"],
        "standardFlowEnabled": True,
        "serviceAccountsEnabled": False,
        "directAccessGrantsEnabled": False,
        "consentRequired": True,
        "frontchannelLogout": False,
        "defaultClientScopes": ["openid", "profile"],
        "optionalClientScopes": ["orders:read"],
        "attributes": {
            "display.on.consent.screen": "true",
            "login_theme": "acme",
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "https://web.example/bye",
        },
    }
    assert "hashedSecret" not in spa and "secret" not in spa and spa["publicClient"] is True
    assert billing["standardFlowEnabled"] is False and billing["serviceAccountsEnabled"] is True
    assert billing["attributes"] == {}


def test_it_exports_hashes_and_never_a_secret_in_clear():
    realm = make_rich_realm()
    text = dumps(export_realm(realm))
    for secret in (WEB_SECRET, SERVICE_SECRET, PASSWORD, "bob-Password1", "carol-Password1"):
        assert secret not in text
    document = json.loads(text)
    users = {user["username"]: user for user in document["users"]}
    assert users["alice"]["credentials"] == [
        {
            "type": "password",
            "hashedValue": User.objects.get(username="alice").password,
            "temporary": False,
        }
    ]
    assert users["bob"]["credentials"][0]["temporary"] is True
    assert users["bob"]["credentials"][0]["hashedValue"].startswith("pbkdf2_sha256$")
    assert users["dave"]["credentials"] == []
    assert users["service-account-billing"]["serviceAccountClientId"] == "billing"
    assert "serviceAccountClientId" not in users["alice"]
    assert users["alice"]["groups"] == ["/staff", "/staff/ops"]
    assert users["alice"]["realmRoles"] == ["admin"]
    assert users["alice"]["clientRoles"] == {"web": ["viewer"]}


def test_it_exports_a_secret_kept_in_clear_as_a_hash():
    realm = make_realm()
    client = make_client(realm, "legacy", secret="kept-in-clear", hash_client_secret=False)
    assert Client.objects.get(pk=client.pk).client_secret == "kept-in-clear"
    exported = export_realm(realm)["clients"][0]["hashedSecret"]
    assert exported.startswith("authserver_sha256$")
    assert check_password("kept-in-clear", exported)


def test_it_exports_only_its_own_realm():
    realm = make_rich_realm()
    other = make_rich_realm("other")
    make_user(other, "charlie")
    make_client(other, "charlies-client")
    document = export_realm(realm)
    assert "charlie" not in [user["username"] for user in document["users"]]
    assert "charlies-client" not in [client["clientId"] for client in document["clients"]]


def test_it_round_trips_through_an_empty_database():
    realm = make_rich_realm()
    make_rich_realm("bystander")
    first = export_realm(realm)
    realm.delete()
    assert not User.objects.filter(realm__name="acme").exists()
    reading = reader.read(json.loads(dumps(first)))
    assert reading.ignored == ()
    imported = load(json.loads(dumps(first)))
    second = export_realm(imported)
    assert second == first
    assert dumps(second) == dumps(first)

    users = {user.username: user for user in User.objects.filter(realm=imported)}
    assert users["alice"].check_password(PASSWORD)
    assert users["bob"].check_password("bob-Password1") and users["bob"].password_temporary
    assert users["carol"].check_password("carol-Password1")
    assert not users["dave"].has_usable_password()
    clients = {client.client_id: client for client in Client.objects.filter(realm=imported)}
    assert check_password(WEB_SECRET, clients["web"].client_secret)
    assert check_password(SERVICE_SECRET, clients["billing"].client_secret)
    assert not check_password("wrong", clients["web"].client_secret)
    assert clients["spa"].client_secret == ""
    assert clients["billing"].service_account == users["service-account-billing"]


def test_it_gives_the_same_export_after_importing_the_demo_file_twice():
    first = export_realm(load(demo()))
    second = export_realm(load(demo(), overwrite=True))

    def without_hashes(document):
        document = json.loads(dumps(document))
        for client in document["clients"]:
            client.pop("hashedSecret", None)
        for user in document["users"]:
            for credential in user["credentials"]:
                credential.pop("hashedValue")
        return document

    # Secrets given in clear are hashed with a fresh salt at each import: the hashes differ,
    # what they verify does not.
    assert without_hashes(second) == without_hashes(first)
    realm = Realm.objects.get(name="demo")
    web = Client.objects.get(realm=realm, client_id="demo-web")
    assert check_password("demo-web-secret", web.client_secret)
    assert User.objects.get(realm=realm, username="bob").check_password("bob-Password1")


def test_it_gives_the_same_export_after_importing_an_export_twice():
    first = export_realm(load(demo()))
    load(json.loads(dumps(first)), overwrite=True)
    load(json.loads(dumps(first)), overwrite=True)
    assert export_realm(Realm.objects.get(name="demo")) == first
