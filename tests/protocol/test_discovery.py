import base64

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.urls import resolve
from jwcrypto.jwk import JWK

from authserver.keys import rotation, store
from tests.factories import make_realm, make_scope

pytestmark = pytest.mark.django_db


def configuration_url(realm) -> str:
    return f"/realms/{realm.name}/.well-known/openid-configuration"


def metadata_url(realm) -> str:
    return f"/.well-known/oauth-authorization-server/realms/{realm.name}"


def realm_url(realm) -> str:
    return f"/realms/{realm.name}"


def fetch(http, url) -> dict:
    response = http.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_it_lists_every_endpoint_at_keycloaks_paths(client):
    realm = make_realm()
    issuer = f"{settings.AUTHSERVER_URL}/realms/{realm.name}"
    base = f"{issuer}/protocol/openid-connect"

    document = fetch(client, configuration_url(realm))

    assert document["issuer"] == issuer == realm.issuer
    assert document["authorization_endpoint"] == f"{base}/auth"
    assert document["token_endpoint"] == f"{base}/token"
    assert document["userinfo_endpoint"] == f"{base}/userinfo"
    assert document["jwks_uri"] == f"{base}/certs"
    assert document["end_session_endpoint"] == f"{base}/logout"
    assert document["introspection_endpoint"] == f"{base}/token/introspect"
    assert document["revocation_endpoint"] == f"{base}/revoke"


@pytest.mark.parametrize(
    "name", ["token", "userinfo", "certs", "logout", "token/introspect", "revoke"]
)
def test_it_lists_endpoints_that_answer(client, name):
    realm = make_realm()
    listed = fetch(client, configuration_url(realm))
    url = {
        "token": listed["token_endpoint"],
        "userinfo": listed["userinfo_endpoint"],
        "certs": listed["jwks_uri"],
        "logout": listed["end_session_endpoint"],
        "token/introspect": listed["introspection_endpoint"],
        "revoke": listed["revocation_endpoint"],
    }[name]
    path = url.removeprefix(settings.AUTHSERVER_URL)
    assert resolve(path).kwargs == {"realm_name": realm.name}


def test_it_says_exactly_what_is_supported(client):
    realm = make_realm()
    document = fetch(client, configuration_url(realm))

    assert document["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:device_code",
    ]
    assert document["response_types_supported"] == ["code"]
    assert document["response_modes_supported"] == ["query", "fragment", "form_post"]
    base = f"{realm.issuer}/protocol/openid-connect"
    assert document["check_session_iframe"] == f"{base}/login-status-iframe.html"
    assert document["subject_types_supported"] == ["public"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    confidential = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
    assert document["token_endpoint_auth_methods_supported"] == [*confidential, "none"]
    assert document["revocation_endpoint_auth_methods_supported"] == [*confidential, "none"]
    assert document["introspection_endpoint_auth_methods_supported"] == confidential
    for endpoint in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        algorithms = document[f"{endpoint}_auth_signing_alg_values_supported"]
        assert {"RS256", "ES256"} <= set(algorithms)
        assert "none" not in algorithms
        assert not any(alg.startswith("HS") for alg in algorithms)
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["request_parameter_supported"] is True
    assert document["request_uri_parameter_supported"] is False
    assert document["claims_parameter_supported"] is False
    assert document["frontchannel_logout_supported"] is True
    assert document["frontchannel_logout_session_supported"] is True
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True
    assert document["prompt_values_supported"] == ["none", "login", "consent"]
    assert {"sub", "iss", "preferred_username", "email", "name"} <= set(
        document["claims_supported"]
    )
    # We do not sign UserInfo responses, so no algorithm is offered for them.
    assert "userinfo_signing_alg_values_supported" not in document
    # RFC 9449 §5.1: asymmetric algorithms only.
    assert document["dpop_signing_alg_values_supported"] == [
        "ES256",
        "ES384",
        "ES512",
        "PS256",
        "PS384",
        "PS512",
        "RS256",
        "RS384",
        "RS512",
        "EdDSA",
    ]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_it_lists_only_the_algorithm_the_realm_signs_with(client, alg):
    realm = make_realm(default_signature_algorithm=alg)
    document = fetch(client, configuration_url(realm))
    assert document["id_token_signing_alg_values_supported"] == [alg]


def test_it_lists_both_algorithms_while_a_new_key_is_staged(client):
    realm = make_realm()
    store.signing_key(realm)
    realm.default_signature_algorithm = "ES256"
    realm.save()
    rotation.stage(realm)
    document = fetch(client, configuration_url(realm))
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]


def test_it_lists_the_realms_scopes_and_no_other_realms(client):
    realm, other = make_realm(), make_realm()
    make_scope(realm, "orders:read")
    make_scope(other, "payments:write")

    scopes = fetch(client, configuration_url(realm))["scopes_supported"]

    assert {"openid", "profile", "email", "roles", "offline_access"} <= set(scopes)
    assert "orders:read" in scopes
    assert "payments:write" not in scopes


def test_it_serves_the_same_document_at_the_rfc_8414_path(client):
    realm = make_realm()
    assert fetch(client, metadata_url(realm)) == fetch(client, configuration_url(realm))


@pytest.mark.parametrize("url", [configuration_url, metadata_url])
def test_it_may_be_cached_and_revalidated(client, url):
    realm = make_realm()
    response = client.get(url(realm))
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=300"}
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    again = client.get(url(realm), headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_it_changes_its_etag_with_the_realms_scopes(client):
    realm = make_realm()
    etag = client.get(configuration_url(realm))["ETag"]
    make_scope(realm, "invoices")
    response = client.get(configuration_url(realm), headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.parametrize("url", [configuration_url, metadata_url, realm_url])
def test_it_refuses_a_post(client, url):
    realm = make_realm()
    assert client.post(url(realm)).status_code == 405


@pytest.mark.parametrize("url", [configuration_url, metadata_url, realm_url])
def test_it_answers_404_for_an_unknown_or_disabled_realm(client, url):
    disabled = make_realm(enabled=False)
    unknown = make_realm()
    unknown_url = url(unknown)
    unknown.delete()
    assert client.get(url(disabled)).status_code == 404
    assert client.get(unknown_url).status_code == 404


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_it_serves_keycloaks_realm_document(client, alg):
    realm = make_realm(default_signature_algorithm=alg)

    document = fetch(client, realm_url(realm))

    assert set(document) == {
        "realm",
        "public_key",
        "token-service",
        "account-service",
        "tokens-not-before",
    }
    assert document["realm"] == realm.name
    assert document["token-service"] == f"{realm.issuer}/protocol/openid-connect"
    assert document["account-service"] == f"{realm.issuer}/account"
    assert document["tokens-not-before"] == 0
    # The key is the signing key the JWKS publishes first, as DER SubjectPublicKeyInfo.
    published = fetch(client, f"/realms/{realm.name}/protocol/openid-connect/certs")["keys"][0]
    der = base64.b64decode(document["public_key"], validate=True)
    key = JWK.from_pyca(load_der_public_key(der))
    assert key.thumbprint() == published["kid"]


def test_it_does_not_answer_under_the_issuer_with_a_trailing_path(client):
    realm = make_realm()
    assert client.get(f"/realms/{realm.name}/.well-known/nothing").status_code == 404
