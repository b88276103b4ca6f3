"""Real realm files exported by Keycloak 4 to 26 (../shared/keycloak-exports, beside the
checkout) import unchanged, and their clients get tokens as Keycloak would give them."""

import base64
import io
import json
import os
import re
from pathlib import Path

import pytest
from argon2.low_level import Type, hash_secret_raw
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from jwcrypto import jwk

from accounts.models import ClientScope, Realm, Role, User
from authserver.models import Client
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import dumps, export_realm
from tests.adminapi.helpers import admin_token, call, token_for, url
from tests.factories import PASSWORD, make_user
from tests.protocol.helpers import (
    SECRET,
    VERIFIER,
    authorize_params,
    authorize_url,
    basic,
    endpoint,
    exchange_code,
    login,
    make_machine_client,
    post_form,
    redirect_params,
    verify,
)
from tests.protocol.test_private_key_jwt import assertion
from tests.protocol.test_private_key_jwt import request_token as assertion_request
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db

# Beside the checkout, or where KEYCLOAK_EXPORTS says (a checkout elsewhere).
EXPORTS = Path(
    os.environ.get("KEYCLOAK_EXPORTS")
    or Path(settings.BASE_DIR).parent / "shared" / "keycloak-exports"
)
FILES = sorted(path.name for path in EXPORTS.glob("*.json"))
# What a Keycloak server would need besides the file: 05 names this password blacklist.
BLACKLIST = "quebec.txt"
NEW_SECRET = re.compile(r'^New secret of clients\[\d+\] "(?P<client>.+)" .*: (?P<secret>\S+)$')


def _exports_present():
    if FILES:
        return
    message = f"the Keycloak exports are not in {EXPORTS}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def blacklists(settings, tmp_path):
    settings.PASSWORD_BLACKLISTS_DIR = tmp_path
    (tmp_path / BLACKLIST).write_text("motdepasse\nquebec123\n")
    return tmp_path


def import_file(name: str) -> tuple[Realm, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_realm", str(EXPORTS / name), stdout=stdout, stderr=stderr)
    realm_name = re.match(r'Imported realm "([^"]+)"', stdout.getvalue())[1]
    return Realm.objects.get(name=realm_name), stdout.getvalue(), stderr.getvalue()


def file_secrets(name: str) -> dict[str, str]:
    """The secrets a file gives in clear, by client id."""
    document = json.loads((EXPORTS / name).read_text(encoding="utf-8-sig"))
    return {
        client["clientId"]: client["secret"]
        for client in document.get("clients", [])
        if client.get("secret") and client["secret"] != "**********"
    }


def a_redirect_uri(client: Client) -> str:
    """A URI the client's registered (possibly wildcard) redirect URIs allow."""
    registered = client.redirect_uris.split()[0]
    if registered == "*":
        return "https://app.example/callback"
    return registered.removesuffix("*") + ("callback" if registered.endswith("*") else "")


def code_for(http, realm, user, client_id: str, redirect_uri: str) -> str:
    """The code of a browser login of ``user`` to ``client_id``, allowing what it asks."""
    url = authorize_url(realm, **authorize_params(client_id, redirect_uri=redirect_uri))
    response = http.get(url)
    if response.status_code == 302 and "/login" in response["Location"]:
        login(http, realm, user.username)
        response = http.get(url)
    if response.status_code == 200:
        # The client requires consent: the user allows.
        page = response.content.decode()
        action = re.search(r'<form method="post" action="([^"]+)"', page)[1]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
        response = http.post(action.replace("&amp;", "&"), {**fields, "decision": "allow"})
    answer = redirect_params(response)
    assert response["Location"].startswith(redirect_uri), response["Location"]
    assert "code" in answer, answer
    return answer["code"]


@pytest.mark.parametrize("name", FILES or ["(none)"])
def test_it_imports_each_keycloak_export_and_issues_tokens_to_its_clients(name, client, blacklists):
    _exports_present()
    realm, stdout, _ = import_file(name)
    secrets = file_secrets(name) | {
        match["client"]: match["secret"]
        for match in map(NEW_SECRET.match, stdout.splitlines())
        if match
    }
    user = make_user(realm, "kc-export-tester")
    for imported in Client.objects.filter(realm=realm).exclude(client_id="realm-management"):
        if imported.bearer_only:
            continue
        secret = None if imported.is_public else secrets[imported.client_id]
        if imported.service_accounts_enabled:
            response = post_form(
                client,
                endpoint(realm, "token"),
                {"grant_type": "client_credentials"},
                HTTP_AUTHORIZATION=basic(imported.client_id, secret),
            )
            assert response.status_code == 200, (imported.client_id, response.content)
            claims = verify(client, realm, response.json()["access_token"])
            assert claims["azp"] == imported.client_id
            assert claims["iss"] == realm.issuer
        if imported.direct_access_grants_enabled:
            response = post_form(
                client,
                endpoint(realm, "token"),
                {"grant_type": "password", "username": user.username, "password": PASSWORD}
                | ({"client_id": imported.client_id} if imported.is_public else {}),
                **(
                    {}
                    if imported.is_public
                    else {"HTTP_AUTHORIZATION": basic(imported.client_id, secret)}
                ),
            )
            assert response.status_code == 200, (imported.client_id, response.content)
            claims = verify(client, realm, response.json()["access_token"])
            assert (claims["azp"], claims["sub"]) == (imported.client_id, str(user.subject))
        if imported.standard_flow_enabled and imported.redirect_uris:
            redirect_uri = a_redirect_uri(imported)
            code = code_for(client, realm, user, imported.client_id, redirect_uri)
            response = exchange_code(
                client,
                realm,
                code,
                client_id=imported.client_id,
                secret=secret,
                redirect_uri=redirect_uri,
                verifier=VERIFIER,
            )
            assert response.status_code == 200, (imported.client_id, response.content)
            claims = verify(client, realm, response.json()["access_token"])
            assert claims["azp"] == imported.client_id
            assert claims["sub"] == str(user.subject)


def client_credentials(http, realm, client_id: str, secret: str):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )


def test_it_maps_admin_roles_of_a_realm_management_client_the_file_does_not_define(client):
    _exports_present()
    realm, _, _ = import_file("07-autowp-gogatekeeper-example.json")
    secret = file_secrets("07-autowp-gogatekeeper-example.json")["server"]
    response = client_credentials(client, realm, "server", secret)
    assert response.status_code == 200, response.content
    claims = verify(client, realm, response.json()["access_token"])
    assert set(claims["resource_access"]["realm-management"]["roles"]) == {
        "view-users",
        "manage-users",
    }


def test_it_adds_the_client_an_audience_mapper_names(client):
    _exports_present()
    realm, _, _ = import_file("09-Dunklas-tower-oauth2-resource-server.json")
    # Its scope "resource-server" names the client tors-example (included.client.audience).
    machine = make_machine_client(realm)
    machine.default_client_scopes.add(ClientScope.objects.get(realm=realm, name="resource-server"))
    response = client_credentials(client, realm, "machine", SECRET)
    assert response.status_code == 200, response.content
    claims = verify(client, realm, response.json()["access_token"])
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert "tors-example" in audience


def test_it_skips_saml_and_built_in_clients_by_name(client):
    _exports_present()
    realm, _, stderr = import_file("01-APTPlatforms-tomcat-keycloak.json")
    assert (
        'warning: clients[0]: skipped client "https://wordpress.sofn.aptplatforms.com/wp-content/'
        'plugins/miniorange-saml-20-single-sign-on/" (a saml client; only OpenID Connect '
        "clients are supported)"
    ) in stderr.splitlines()
    assert (
        'warning: clients[1]: skipped client "security-admin-console" (Keycloak\'s built-in '
        "client; this server has its own)"
    ) in stderr.splitlines()
    assert set(Client.objects.filter(realm=realm).values_list("client_id", flat=True)) == {
        "realm-management",
        "tomcat-client",
    }


def test_it_refuses_the_password_blacklist_policy_without_its_list(settings, tmp_path):
    _exports_present()
    settings.PASSWORD_BLACKLISTS_DIR = tmp_path
    with pytest.raises(CommandError) as raised:
        import_file("05-CQEN-QDCE-ceai-cqen-keycloak.json")
    assert str(raised.value) == (
        f"passwordPolicy: password blacklist 'quebec.txt' not found in {tmp_path}"
    )
    assert not Realm.objects.filter(name="ceai").exists()


def test_it_refuses_a_password_on_the_blacklist_of_the_realm_policy(blacklists):
    _exports_present()
    realm, _, _ = import_file("05-CQEN-QDCE-ceai-cqen-keycloak.json")
    user = make_user(realm, "someone")
    with pytest.raises(ValidationError) as raised:
        validate_password("Quebec123", user)
    assert "The password is on the blacklist of common passwords." in raised.value.messages
    validate_password("Quebec-Sunrise-77", user)


def test_it_issues_no_token_to_a_bearer_only_client(client):
    document = small()
    document["clients"].append(
        {
            "clientId": "api",
            "bearerOnly": True,
            "secret": "api-secret-" + "q" * 30,
            "serviceAccountsEnabled": True,
            "redirectUris": ["https://api.example/cb"],
        }
    )
    realm = load(document)
    response = client_credentials(client, realm, "api", "api-secret-" + "q" * 30)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "unauthorized_client"
    response = client.get(
        authorize_url(realm, **authorize_params("api", redirect_uri="https://api.example/cb"))
    )
    assert redirect_params(response)["error"] == "unauthorized_client"


def keycloak_argon2(password: str) -> dict:
    """A password credential as Keycloak 24+ exports it (Argon2id, its default parameters)."""
    salt = b"0123456789abcdef"
    digest = hash_secret_raw(
        password.encode(),
        salt,
        time_cost=5,
        memory_cost=7168,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    parameters = {
        "hashLength": ["32"],
        "memory": ["7168"],
        "type": ["id"],
        "version": ["1.3"],
        "parallelism": ["1"],
    }
    return {
        "type": "password",
        "secretData": json.dumps(
            {"value": base64.b64encode(digest).decode(), "salt": base64.b64encode(salt).decode()}
        ),
        "credentialData": json.dumps(
            {"hashIterations": 5, "algorithm": "argon2", "additionalParameters": parameters}
        ),
    }


def test_it_verifies_a_keycloak_argon2_password_then_rehashes_it(client):
    document = small()
    document["users"][0]["credentials"] = [keycloak_argon2("alice-Password1")]
    realm = load(document)
    assert login(client, realm, "alice", "wrong-Password1").status_code == 200
    assert User.objects.get(realm=realm).password.startswith("argon2$argon2id$v=19$m=7168,t=5")
    response = login(client, realm, "alice", "alice-Password1")
    assert response.status_code == 302, response.content[:300]
    stored = User.objects.get(realm=realm).password
    assert not stored.startswith("argon2$argon2id$v=19$m=7168,t=5")
    assert check_password("alice-Password1", stored)


def test_it_matches_a_wildcard_redirect_uri_as_a_prefix_only(client):
    document = small()
    document["clients"][0]["redirectUris"] = ["https://app.example/spa/*"]
    realm = load(document)
    allowed = client.get(
        authorize_url(realm, **authorize_params(redirect_uri="https://app.example/spa/x?y=1"))
    )
    assert allowed.status_code == 302
    for outside in ("https://app.example/other", "https://app.example.evil/spa/x"):
        refused = client.get(authorize_url(realm, **authorize_params(redirect_uri=outside)))
        assert refused.status_code == 400, outside


@pytest.mark.parametrize("name", FILES or ["(none)"])
def test_it_round_trips_each_keycloak_export(name, blacklists, tmp_path):
    _exports_present()
    realm, _, _ = import_file(name)
    first = export_realm(realm)
    path = tmp_path / "exported.json"
    path.write_text(dumps(first))
    call_command(
        "import_realm", str(path), "--overwrite", stdout=io.StringIO(), stderr=io.StringIO()
    )
    again = export_realm(Realm.objects.get(name=realm.name))
    assert again == first


def test_it_refuses_the_secret_of_a_client_jwt_client_and_takes_its_assertion(client):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    key_set = {"keys": [{**json.loads(key.export_public()), "kid": "k1", "alg": "ES256"}]}
    document = small()
    document["clients"].append(
        {
            "clientId": "machine",
            "clientAuthenticatorType": "client-jwt",
            "secret": "left-over-secret-" + "w" * 30,
            "standardFlowEnabled": False,
            "serviceAccountsEnabled": True,
            "attributes": {"jwks.string": json.dumps(key_set)},
        }
    )
    document["users"].append(
        {"username": "service-account-machine", "serviceAccountClientId": "machine"}
    )
    realm = load(document)

    refused = client_credentials(client, realm, "machine", "left-over-secret-" + "w" * 30)
    assert refused.status_code == 401, refused.content
    assert refused.json()["error"] == "invalid_client"
    taken = assertion_request(client, realm, assertion(key, realm, alg="ES256"))
    assert taken.status_code == 200, taken.content
    assert export_realm(realm)["clients"][1]["clientAuthenticatorType"] == "client-jwt"


def test_it_puts_every_role_a_composite_contains_in_the_token(client):
    document = small()
    document["roles"] = {
        "realm": [
            {"name": "user"},
            {
                "name": "default-roles-small",
                "composite": True,
                "composites": {"realm": ["manager"]},
            },
            {
                "name": "manager",
                "composite": True,
                "composites": {"realm": ["viewer"], "client": {"app": ["reader"]}},
            },
            {"name": "viewer"},
        ],
        "client": {"app": [{"name": "reader"}]},
    }
    document["users"][0]["realmRoles"] = ["default-roles-small"]
    realm = load(document)
    alice = User.objects.get(realm=realm, username="alice")
    alice.set_password(PASSWORD)
    alice.save()
    code = code_for(client, realm, alice, "app", "https://app.example/callback")
    response = exchange_code(
        client,
        realm,
        code,
        client_id="app",
        secret=None,
        redirect_uri="https://app.example/callback",
    )
    assert response.status_code == 200, response.content
    claims = verify(client, realm, response.json()["access_token"])
    assert set(claims["realm_access"]["roles"]) == {"default-roles-small", "manager", "viewer"}
    assert claims["resource_access"]["app"]["roles"] == ["reader"]


def test_it_refuses_a_composite_naming_a_role_the_file_does_not_define():
    document = small()
    document["roles"]["realm"][0]["composites"] = {"realm": ["ghost"]}
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert str(raised.value) == 'roles.realm[0].composites.realm[0]: role "ghost" is not defined'


def test_it_gives_a_new_user_the_realms_default_roles(client):
    _exports_present()
    realm, _, _ = import_file("10-stainii-portal-notifications.json")
    response = call(
        client,
        "POST",
        url(realm, "users"),
        admin_token(realm, "manage-users"),
        {"username": "newcomer", "enabled": True},
    )
    assert response.status_code == 201, response.content
    newcomer = User.objects.get(realm=realm, username="newcomer")
    claims = verify(client, realm, token_for(newcomer, scopes=("openid", "roles")))
    assert {"default-roles-dummy-realm", "offline_access", "uma_authorization"} <= set(
        claims["realm_access"]["roles"]
    )


def test_it_reads_a_pre_13_files_default_roles_as_keycloak_upgrades_them():
    _exports_present()
    realm, _, _ = import_file("01-APTPlatforms-tomcat-keycloak.json")
    role = Role.objects.get(realm=realm, name="default-roles-tomcat-keycloak")
    assert {inner.name for inner in role.composites.all()} == {
        "offline_access",
        "uma_authorization",
    }


def test_it_matches_redirect_uris_exactly_when_the_realm_requires_it(client):
    document = small()
    document["clients"][0]["redirectUris"] = ["https://app.example/spa/*", "https://app.example/cb"]
    realm = load(document)
    realm.exact_redirect_uris = True
    realm.save()
    wild = client.get(
        authorize_url(realm, **authorize_params(redirect_uri="https://app.example/spa/x"))
    )
    assert wild.status_code == 400
    exact = client.get(
        authorize_url(realm, **authorize_params(redirect_uri="https://app.example/cb"))
    )
    assert exact.status_code == 302


def test_it_matches_only_http_uris_against_a_bare_wildcard(client):
    document = small()
    document["clients"][0]["redirectUris"] = ["*"]
    realm = load(document)
    allowed = client.get(
        authorize_url(realm, **authorize_params(redirect_uri="https://anywhere.example/cb"))
    )
    assert allowed.status_code == 302
    for hostile in ("javascript:alert(1)//", "data:text/html,hi"):
        refused = client.get(authorize_url(realm, **authorize_params(redirect_uri=hostile)))
        assert refused.status_code == 400, hostile


ANYWHERE = "https://anywhere.example"


def any_origin_realm():
    document = small()
    document["clients"][0]["webOrigins"] = ["*"]
    return load(document)


def token_request_from(http, realm, origin):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "authorization_code", "code": "none", "client_id": "app"},
        HTTP_ORIGIN=origin,
    )


def test_it_lets_any_origin_read_the_answers_of_a_client_whose_web_origins_hold_a_star(client):
    realm = any_origin_realm()
    response = token_request_from(client, realm, ANYWHERE)
    assert response.json()["error"] == "invalid_grant"
    # Keycloak echoes the origin, with credentials, never "*" itself.
    assert response["Access-Control-Allow-Origin"] == ANYWHERE
    assert response["Access-Control-Allow-Credentials"] == "true"
    frame = client.get(endpoint(realm, "login-status-iframe.html"))
    assert "frame-ancestors *" in frame["Content-Security-Policy"]
    for not_an_origin in ("null", "*"):
        refused = token_request_from(client, realm, not_an_origin)
        assert "Access-Control-Allow-Origin" not in refused


def test_it_turns_the_star_origin_off_when_the_realm_requires_exact_uris(client):
    realm = any_origin_realm()
    realm.exact_redirect_uris = True
    realm.save()
    response = token_request_from(client, realm, ANYWHERE)
    assert "Access-Control-Allow-Origin" not in response
    frame = client.get(endpoint(realm, "login-status-iframe.html"))
    assert "frame-ancestors 'none'" in frame["Content-Security-Policy"]
