"""Reading a realm file into plain values: types, references, skipped fields; no database."""

import pytest

from authserver.realmfile import reader
from authserver.realmfile.errors import RealmFileError
from tests import hashers
from tests.realmfile.documents import demo, small


def read_error(document) -> str:
    with pytest.raises(RealmFileError) as raised:
        reader.read(document)
    return str(raised.value)


def test_it_reads_the_demo_realm():
    realm = reader.read(demo()).realm
    assert realm.name == "demo" and realm.display_name == "Demo"
    assert [client.client_id for client in realm.clients] == [
        "demo-web",
        "demo-spa",
        "orders-service",
    ]
    web, spa, service = realm.clients
    assert web.secret == "demo-web-secret" and web.hashed_secret is None
    assert web.post_logout_redirect_uris == ("http://localhost:3000/", "http://127.0.0.1:3000/")
    assert web.attributes == {}
    assert spa.public and spa.secret is None and spa.pkce_method == "S256"
    assert not service.standard_flow_enabled and service.service_accounts_enabled
    assert realm.users[2].service_account_client_id == "orders-service"
    assert realm.users[1].groups == ("/staff",)


def test_it_gives_absent_realm_settings_the_model_defaults():
    realm = reader.read({"realm": "bare"}).realm
    assert realm.enabled is True
    assert realm.access_token_lifespan == 300
    assert realm.failure_factor == 30
    assert realm.default_signature_algorithm == "RS256"
    assert realm.users == () and realm.clients == ()


def test_it_lists_the_paths_of_unknown_fields():
    document = small(id="f7e1", notBefore=0)
    document["users"][0]["createdTimestamp"] = 1700000000000
    document["users"][0]["credentials"][0]["userLabel"] = "My password"
    document["clients"][0]["bearerOnly"] = False
    document["clients"][0]["secret"] = "left over from when it was confidential"
    document["roles"]["realm"][0]["composite"] = False
    document["roles"]["realm"][0]["attributes"] = {}
    ignored = reader.read(document).ignored
    assert ignored == (
        "id",
        "notBefore",
        "clients[0].secret",
        "roles.realm[0].attributes",
        "users[0].createdTimestamp",
        "users[0].credentials[0].userLabel",
    )


def test_it_lists_nothing_when_every_field_is_understood():
    assert reader.read(demo()).ignored == ()


def test_it_keeps_unknown_client_attributes_and_mapper_config_as_given():
    document = small()
    document["clients"][0]["attributes"] = {"display.on.consent.screen": "false", "x": ["y"]}
    document["clientScopes"] = [
        {
            "name": "orders:read",
            "protocolMappers": [
                {
                    "name": "aud",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.custom.audience": "orders", "lightweight": "true"},
                }
            ],
        }
    ]
    realm = reader.read(document).realm
    assert realm.clients[0].attributes == {"display.on.consent.screen": "false", "x": ["y"]}
    assert realm.client_scopes[0].protocol_mappers == (
        {
            "name": "aud",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "config": {"included.custom.audience": "orders", "lightweight": "true"},
        },
    )
    assert reader.read(document).ignored == ()


def test_it_expands_keycloaks_plus_in_web_origins_and_post_logout_uris():
    document = small()
    client = document["clients"][0]
    client["redirectUris"] = ["https://a.example/cb", "https://b.example:8443/x/cb"]
    client["webOrigins"] = ["+", "https://a.example"]
    client["attributes"] = {"post.logout.redirect.uris": "+##https://a.example/bye"}
    spec = reader.read(document).realm.clients[0]
    assert spec.web_origins == ("https://a.example", "https://b.example:8443")
    assert spec.post_logout_redirect_uris == (
        "https://a.example/cb",
        "https://b.example:8443/x/cb",
        "https://a.example/bye",
    )


def test_it_names_the_path_of_a_key_that_is_not_an_identifier():
    document = small()
    document["clients"][0]["attributes"] = {"pkce.code.challenge.method": "plain"}
    assert read_error(document) == (
        'clients[0].attributes["pkce.code.challenge.method"]: '
        'the "plain" PKCE method is not supported; use "S256"'
    )


def test_it_accepts_group_paths_without_the_leading_slash():
    document = small(groups=[{"name": "staff", "subGroups": [{"name": "ops"}]}])
    document["users"][0]["groups"] = ["staff/ops"]
    assert reader.read(document).realm.users[0].groups == ("/staff/ops",)


def test_it_finds_subgroups_by_their_full_path():
    document = small(groups=[{"name": "staff", "subGroups": [{"name": "ops"}]}])
    document["users"][0]["groups"] = ["/ops"]
    assert read_error(document) == 'users[0].groups[0]: group "/ops" is not defined'


def test_it_rejects_a_name_where_the_file_lists_roles():
    document = small()
    document["users"][0]["realmRoles"] = ["user", 7]
    assert read_error(document) == "users[0].realmRoles[1]: expected a name, not a number"


def test_it_rejects_a_top_level_that_is_not_an_object():
    assert read_error([{"realm": "demo"}]) == "expected an object, not a list"


def test_it_rejects_an_invalid_realm_name():
    assert read_error({"realm": "a b"}).startswith("realm: Letters, digits")


def test_it_rejects_a_count_out_of_range():
    assert read_error({"realm": "r", "failureFactor": -1}) == (
        "failureFactor: must be between 0 and 2147483647"
    )


def test_it_reads_keycloak_wildcard_redirect_uris_from_a_file():
    document = small()
    document["clients"][0]["redirectUris"] = ["http://localhost:5173/*", "*"]
    (client,) = reader.read(document).realm.clients
    assert client.redirect_uris == ("http://localhost:5173/*", "*")


def test_it_rejects_a_wildcard_before_the_end_of_a_redirect_uri():
    document = small()
    document["clients"][0]["redirectUris"] = ["https://*.example.com/cb"]
    assert read_error(document) == (
        "clients[0].redirectUris[0]: a wildcard is allowed only at the end of a redirect URI"
    )


def test_it_rejects_a_wildcard_redirect_uri_in_a_client_made_alone():
    # The admin API's bodies: a new client gets exact redirect URIs (RFC 9700 §4.1.3).
    with pytest.raises(RealmFileError) as raised:
        reader.read_client({"clientId": "spa", "redirectUris": ["http://localhost:5173/*"]})
    assert str(raised.value) == (
        "redirectUris[0]: wildcards are not supported; list each redirect URI"
    )


def test_it_resolves_a_relative_redirect_uri_against_the_root_url_or_the_server(settings):
    settings.AUTHSERVER_URL = "https://sso.example.com"
    document = small()
    document["clients"][0]["redirectUris"] = ["/realms/small/account/*"]
    document["clients"].append(
        {
            "clientId": "tomcat",
            "publicClient": True,
            "rootUrl": "https://tomcat.example.com/app",
            "redirectUris": ["/roles/*", "/index.html"],
        }
    )
    first, second = reader.read(document).realm.clients
    assert first.redirect_uris == ("https://sso.example.com/realms/small/account/*",)
    assert second.redirect_uris == (
        "https://tomcat.example.com/app/roles/*",
        "https://tomcat.example.com/app/index.html",
    )


def test_it_rejects_a_scope_that_is_both_default_and_optional():
    document = small()
    document["clients"][0]["optionalClientScopes"] = ["email", "profile"]
    assert read_error(document) == (
        'clients[0].optionalClientScopes[1]: client scope "profile" is already a default scope '
        "of this client"
    )


def test_it_rejects_two_passwords_for_one_user():
    document = small()
    document["users"][0]["credentials"].append({"type": "password", "value": "another-1"})
    assert read_error(document) == "users[0].credentials[1]: a user has at most one password"


def test_it_rejects_a_credential_with_both_a_value_and_a_hash():
    document = small()
    document["users"][0]["credentials"][0]["hashedValue"] = "argon2$argon2id$x"
    assert read_error(document) == (
        "users[0].credentials[0]: give exactly one of value, hashedValue or secretData"
    )


def test_it_rejects_an_unsupported_keycloak_password_algorithm():
    document = small()
    document["users"][0]["credentials"] = [
        {
            "type": "password",
            "secretData": '{"value": "AAAA", "salt": "AAAA"}',
            "credentialData": '{"hashIterations": 5, "algorithm": "pbkdf2-sha512"}',
        }
    ]
    assert read_error(document) == (
        'users[0].credentials[0].credentialData: Keycloak password algorithm "pbkdf2-sha512" '
        "is not supported (only pbkdf2-sha256 and argon2)"
    )


def test_it_rejects_a_second_service_account_for_one_client():
    document = demo()
    document["users"][0]["serviceAccountClientId"] = "orders-service"
    assert read_error(document) == (
        'users[2].serviceAccountClientId: duplicate service account of client "orders-service" '
        "(also at users[0].serviceAccountClientId)"
    )


def test_it_reads_a_user_id_as_the_subject():
    document = small()
    document["users"][0]["id"] = "6a1f6c5e-2b1d-4a8e-9c3f-0d4e5f6a7b8c"
    subject = reader.read(document).realm.users[0].subject
    assert str(subject) == "6a1f6c5e-2b1d-4a8e-9c3f-0d4e5f6a7b8c"


def test_it_rejects_a_user_id_that_is_not_a_uuid():
    document = small()
    document["users"][0]["id"] = "f:ldap:alice"
    assert read_error(document) == 'users[0].id: expected a UUID, not "f:ldap:alice"'


def test_it_rejects_two_users_with_one_id():
    document = demo()
    document["users"][1]["id"] = document["users"][0]["id"]
    assert read_error(document) == (
        f'users[1].id: duplicate user id "{document["users"][0]["id"]}" (also at users[0].id)'
    )


@pytest.mark.parametrize(
    "encoded, excess",
    [
        (
            hashers.BEYOND_THE_BOUND["pbkdf2-iterations"],
            "1300001 iterations; at most 1300000 iterations",
        ),
        (
            hashers.BEYOND_THE_BOUND["keycloak-iterations"],
            "1300001 iterations; at most 1300000 iterations",
        ),
        (
            hashers.BEYOND_THE_BOUND["argon2-memory"],
            "m=204801 KiB x t=1; at most 204800 KiB of memory x passes",
        ),
        (hashers.BEYOND_THE_BOUND["argon2-parallelism"], "p=17; at most p=16"),
    ],
    ids=hashers.BEYOND_THE_BOUND.keys(),
)
def test_it_refuses_a_hashed_password_that_costs_too_much_to_verify(encoded, excess):
    document = small()
    document["users"][0]["credentials"] = [{"type": "password", "hashedValue": encoded}]
    assert read_error(document) == (
        "users[0].credentials[0].hashedValue: costs more to verify than this server allows "
        f"({excess})"
    )


def keycloak_credential(iterations: int) -> dict:
    return {
        "type": "password",
        "secretData": '{"value": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "salt": "AAAA"}',
        "credentialData": f'{{"hashIterations": {iterations}, "algorithm": "pbkdf2-sha256"}}',
    }


def test_it_refuses_keycloak_hash_iterations_beyond_the_bound_naming_credential_data():
    document = small()
    document["users"][0]["credentials"] = [keycloak_credential(100_000_000)]
    assert read_error(document) == (
        "users[0].credentials[0].credentialData: hashIterations costs more to verify than this "
        "server allows (100000000 iterations; at most 1300000 iterations)"
    )
    document["users"][0]["credentials"] = [keycloak_credential(1_300_000)]
    assert (
        reader.read(document)
        .realm.users[0]
        .password.encoded.startswith("keycloak_pbkdf2_sha256$1300000$")
    )


def test_it_names_the_keycloak_field_that_is_not_json():
    document = small()
    credential = keycloak_credential(27500)
    credential["secretData"] = "not json"
    document["users"][0]["credentials"] = [credential]
    assert read_error(document) == ("users[0].credentials[0].secretData: must hold a JSON object")
