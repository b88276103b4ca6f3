"""RFC 7591 at Keycloak's registration endpoint: a client with an initial access token registers,
gets its credentials once and uses them at the token endpoint; what it may register is the
realm's policy; every refusal has the RFC's error code and writes nothing."""

import json

import pytest
from django.utils import timezone

from authserver.models import Client
from authserver.registration.models import InitialAccessToken
from tests import pki
from tests.factories import make_realm, make_scope, make_user
from tests.protocol.helpers import (
    authorize_and_get_code,
    basic,
    exchange_code,
    post_form,
    verify,
)
from tests.protocol.helpers import endpoint as protocol_endpoint
from tests.registration.helpers import (
    MACHINE,
    WEB,
    initial_token,
    open_registration,
    register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def realm(db):
    realm = make_realm("acme")
    open_registration(realm)
    return realm


def test_it_registers_a_confidential_client_whose_secret_works_once_shown(client, realm):
    response = register(client, realm, MACHINE, initial_token(realm))
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_endpoint_auth_method"] == "client_secret_post"
    assert body["grant_types"] == ["client_credentials"]
    assert body["client_secret_expires_at"] == 0
    assert response["Location"] == body["registration_client_uri"]
    assert body["registration_client_uri"] == (
        f"{realm.issuer}/clients-registrations/openid-connect/{body['client_id']}"
    )
    stored = Client.objects.get(realm=realm, client_id=body["client_id"])
    assert stored.client_secret != body["client_secret"]  # hashed
    assert body["registration_access_token"] not in str(stored.registration.token_hash)
    token = post_form(
        client,
        protocol_endpoint(realm, "token"),
        {
            "grant_type": "client_credentials",
            "client_id": body["client_id"],
            "client_secret": body["client_secret"],
        },
    )
    assert token.status_code == 200, token.content
    claims = verify(client, realm, token.json()["access_token"])
    assert claims["azp"] == body["client_id"]
    assert "realm-management" not in claims.get("resource_access", {})


def test_it_registers_a_public_client_for_the_code_flow_with_pkce(client, realm):
    body = WEB | {"token_endpoint_auth_method": "none"}
    registered = register(client, realm, body, initial_token(realm)).json()
    assert "client_secret" not in registered
    stored = Client.objects.get(realm=realm, client_id=registered["client_id"])
    assert stored.is_public and stored.pkce_method == "S256"
    assert sorted(scope.name for scope in stored.default_client_scopes.all()) == [
        "openid",
        "profile",
    ]
    user = make_user(realm, "alice")
    code = authorize_and_get_code(
        client, realm, user, client_id=registered["client_id"], redirect_uri=WEB["redirect_uris"][0]
    )
    tokens = exchange_code(
        client,
        realm,
        code,
        client_id=registered["client_id"],
        secret=None,
        redirect_uri=WEB["redirect_uris"][0],
    )
    assert tokens.status_code == 200, tokens.content
    assert verify(client, realm, tokens.json()["access_token"])["sub"] == str(user.subject)


@pytest.mark.parametrize("token", [None, "not-a-token", "x" * 600])
def test_it_refuses_a_missing_or_unknown_initial_access_token(client, realm, token):
    response = register(client, realm, MACHINE, token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert not Client.objects.filter(realm=realm).exclude(client_id="realm-management").exists()


def test_it_takes_an_initial_access_token_only_as_often_as_it_allows(client, realm):
    token = initial_token(realm, count=1)
    assert register(client, realm, MACHINE, token).status_code == 201
    again = register(client, realm, MACHINE, token)
    assert again.status_code == 401
    assert InitialAccessToken.objects.get(realm=realm).remaining == 0


def test_it_refuses_an_expired_initial_access_token(client, realm):
    token = initial_token(realm)
    InitialAccessToken.objects.update(expires=timezone.now())
    assert register(client, realm, MACHINE, token).status_code == 401


def test_it_refuses_another_realms_initial_access_token(client, realm):
    other = make_realm("other")
    open_registration(other)
    assert register(client, realm, MACHINE, initial_token(other)).status_code == 401


def test_it_spends_nothing_on_a_refused_registration(client, realm):
    token = initial_token(realm, count=1)
    bad = register(client, realm, MACHINE | {"grant_types": ["password"]}, token)
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_client_metadata"
    assert register(client, realm, MACHINE, token).status_code == 201


def test_it_refuses_registration_where_the_realm_has_not_turned_it_on(client, db):
    closed = make_realm("closed")
    token = initial_token(closed)
    response = register(client, closed, MACHINE, token)
    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"
    discovery = client.get(f"/realms/{closed.name}/.well-known/openid-configuration").json()
    assert "registration_endpoint" not in discovery


def test_it_advertises_the_endpoint_where_registration_is_on(client, realm):
    discovery = client.get(f"/realms/{realm.name}/.well-known/openid-configuration").json()
    assert discovery["registration_endpoint"] == (
        f"{realm.issuer}/clients-registrations/openid-connect"
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uris": ["https://rp.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://rp.example/*"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://rp.example/cb"}, "invalid_redirect_uri"),
        ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "client_secret_jwt"}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"jwks_uri": "https://rp.example/jwks"}, "invalid_client_metadata"),
        ({"scope": "openid nowhere"}, "invalid_client_metadata"),
        ({"scope": ["openid"]}, "invalid_client_metadata"),
        ({"logo_uri": "http://rp.example/logo.png"}, "invalid_client_metadata"),
        ({"client_name": 7}, "invalid_client_metadata"),
        ({"dpop_bound_access_tokens": "yes"}, "invalid_client_metadata"),
    ],
)
def test_it_refuses_metadata_it_cannot_honour(client, realm, change, error):
    response = register(client, realm, WEB | change, initial_token(realm))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error
    assert not Client.objects.filter(realm=realm).exclude(client_id="realm-management").exists()


@pytest.mark.parametrize("body", ["[]", "not json", '"text"'])
def test_it_refuses_a_body_that_is_no_json_object(client, realm, body):
    response = client.post(
        f"/realms/{realm.name}/clients-registrations/openid-connect",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {initial_token(realm)}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


def test_it_refuses_a_private_key_in_the_registered_keys(client, realm):
    from jwcrypto import jwk

    key = jwk.JWK.generate(kty="EC", crv="P-256")
    public = {"keys": [key.export_public(as_dict=True)]}
    private = {"keys": [key.export_private(as_dict=True)]}
    method = MACHINE | {"token_endpoint_auth_method": "private_key_jwt"}
    refused = register(client, realm, method | {"jwks": private}, initial_token(realm))
    assert refused.status_code == 400
    accepted = register(client, realm, method | {"jwks": public}, initial_token(realm))
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in accepted.json()


def test_it_keeps_redirect_uris_to_the_trusted_hosts(client, realm):
    open_registration(realm, trusted_hosts="rp.example *.apps.example")
    token = initial_token(realm)
    for uri in ("https://rp.example/cb", "https://one.apps.example/cb"):
        body = WEB | {"redirect_uris": [uri]}
        assert register(client, realm, body, token).status_code == 201, uri
    for uri in ("https://evil.example/cb", "https://apps.example.evil/cb", "com.app:/cb"):
        refused = register(client, realm, WEB | {"redirect_uris": [uri]}, token)
        assert refused.json()["error"] == "invalid_redirect_uri", uri


def test_it_keeps_scopes_to_the_allowed_ones(client, realm):
    make_scope(realm, "orders:read")
    make_scope(realm, "admin:all")
    open_registration(realm, allowed_scopes="openid profile orders:read")
    token = initial_token(realm)
    ok = register(client, realm, WEB | {"scope": "openid orders:read"}, token)
    assert ok.status_code == 201
    refused = register(client, realm, WEB | {"scope": "openid admin:all"}, token)
    assert refused.json()["error"] == "invalid_client_metadata"


def test_it_stops_at_the_most_clients_the_realm_allows(client, realm):
    open_registration(realm, max_clients=1)
    token = initial_token(realm)
    assert register(client, realm, MACHINE, token).status_code == 201
    refused = register(client, realm, MACHINE, token)
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"


def test_it_answers_only_post(client, realm):
    response = client.get(f"/realms/{realm.name}/clients-registrations/openid-connect")
    assert response.status_code == 405


def test_a_registered_confidential_client_authenticates_with_basic_too(client, realm):
    body = register(client, realm, MACHINE, initial_token(realm)).json()
    response = post_form(
        client,
        protocol_endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(body["client_id"], body["client_secret"]),
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        '{"client_uri": "https://a\\u0000", "grant_types": ["client_credentials"]}',
        '{"contacts": ["x\\ud800"], "grant_types": ["client_credentials"]}',
        '{"software_version": NaN, "grant_types": ["client_credentials"]}',
    ],
)
def test_it_refuses_what_the_database_cannot_store(client, realm, body):
    response = client.post(
        f"/realms/{realm.name}/clients-registrations/openid-connect",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {initial_token(realm)}",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Client.objects.filter(realm=realm).exclude(client_id="realm-management").exists()


def test_it_registers_a_client_that_binds_its_tokens_with_dpop(client, realm):
    registered = register(
        client, realm, MACHINE | {"dpop_bound_access_tokens": True}, initial_token(realm)
    )

    assert registered.status_code == 201, registered.content
    body = registered.json()
    assert body["dpop_bound_access_tokens"] is True
    stored = Client.objects.get(realm=realm, client_id=body["client_id"])
    assert stored.attributes["dpop.bound.access.tokens"] == "true"
    form = {
        "grant_type": "client_credentials",
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
    }
    refused = post_form(client, protocol_endpoint(realm, "token"), form)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_dpop_proof"


# --- RFC 8705: clients that authenticate with their certificate --------------------------------
def test_it_registers_a_tls_client_auth_client_with_bound_tokens(client, realm, mtls, client_ca):
    body = MACHINE | {
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=registered,O=Example",
        "tls_client_certificate_bound_access_tokens": True,
    }
    response = register(client, realm, body, initial_token(realm))
    assert response.status_code == 201, response.content
    answer = response.json()
    assert "client_secret" not in answer
    assert answer["token_endpoint_auth_method"] == "tls_client_auth"
    assert answer["tls_client_auth_subject_dn"] == "CN=registered,O=Example"
    assert answer["tls_client_certificate_bound_access_tokens"] is True
    cert = client_ca.issue(pki.name("registered", organization="Example"))
    form = {"grant_type": "client_credentials", "client_id": answer["client_id"]}
    token = post_form(client, protocol_endpoint(realm, "token"), form, **cert.forwarded)
    assert token.status_code == 200, token.content
    claims = verify(client, realm, token.json()["access_token"])
    assert claims["cnf"] == {"x5t#S256": cert.thumbprint}
    # The subject DN of RFC 8705 is a name, not a pattern.
    assert (
        Client.objects.get(client_id=answer["client_id"]).attributes[
            "x509.allow.regex.pattern.comparison"
        ]
        == "false"
    )


def test_it_registers_a_self_signed_client_by_its_certificate(client, realm, mtls):
    cert = pki.self_signed("registered")
    body = MACHINE | {
        "token_endpoint_auth_method": "self_signed_tls_client_auth",
        "jwks": json.loads(cert.jwks()),
    }
    response = register(client, realm, body, initial_token(realm))
    assert response.status_code == 201, response.content
    form = {"grant_type": "client_credentials", "client_id": response.json()["client_id"]}
    url = protocol_endpoint(realm, "token")
    assert post_form(client, url, form, **cert.forwarded).status_code == 200
    assert (
        post_form(client, url, form, **pki.self_signed("registered").forwarded).status_code == 401
    )


@pytest.mark.parametrize(
    "change",
    [
        {"token_endpoint_auth_method": "tls_client_auth"},
        {
            "token_endpoint_auth_method": "tls_client_auth",
            "tls_client_auth_subject_dn": "CN=a",
            "tls_client_auth_san_dns": "a.example",
        },
        {"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "a"},
        {"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_ip": "a"},
        {"token_endpoint_auth_method": "self_signed_tls_client_auth"},
        {"tls_client_auth_subject_dn": "CN=a"},
        {"tls_client_certificate_bound_access_tokens": "yes"},
    ],
)
def test_it_refuses_certificate_metadata_it_cannot_honour(client, realm, mtls, change):
    response = register(client, realm, MACHINE | change, initial_token(realm))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_client_metadata"


def test_it_refuses_certificate_methods_where_no_certificate_arrives(client, realm, settings):
    settings.AUTHSERVER_MTLS_ENABLED = False
    for change in (
        {"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=a"},
        {"tls_client_certificate_bound_access_tokens": True},
    ):
        response = register(client, realm, MACHINE | change, initial_token(realm))
        assert response.status_code == 400, response.content
        assert response.json()["error"] == "invalid_client_metadata"
