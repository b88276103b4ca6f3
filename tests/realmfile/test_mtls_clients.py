"""Mutual-TLS clients in a realm file, as Keycloak exports them (clientAuthenticatorType
client-x509, x509.subjectdn, tls.client.certificate.bound.access.tokens), and this server's
self-signed kind: imported, working, exported unchanged, and refused where malformed."""

import pytest

from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import export_realm
from tests import pki
from tests.protocol.helpers import endpoint, post_form, verify
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db


def with_client(**client) -> dict:
    document = small()
    document["clients"].append(
        {
            "clientId": "machine",
            "standardFlowEnabled": False,
            "serviceAccountsEnabled": True,
            **client,
        }
    )
    document["users"].append(
        {"username": "service-account-machine", "serviceAccountClientId": "machine"}
    )
    return document


def token_request(http, realm, cert):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", "client_id": "machine"},
        **cert.forwarded,
    )


def test_it_imports_keycloaks_x509_client_and_binds_its_tokens(client, mtls, client_ca):
    document = with_client(
        clientAuthenticatorType="client-x509",
        attributes={
            # Keycloak's regular expression, in Java's spelling of the subject.
            "x509.subjectdn": "(.*?)CN=machine, O=Example(.*?)",
            "tls.client.certificate.bound.access.tokens": "true",
        },
    )
    realm = load(document)
    cert = client_ca.issue(pki.name("machine", organization="Example"))
    response = token_request(client, realm, cert)
    assert response.status_code == 200, response.content
    claims = verify(client, realm, response.json()["access_token"])
    assert claims["cnf"] == {"x5t#S256": cert.thumbprint}
    other = client_ca.issue(pki.name("intruder", organization="Example"))
    assert token_request(client, realm, other).status_code == 401

    exported = export_realm(realm)["clients"][1]
    assert exported["clientAuthenticatorType"] == "client-x509"
    assert exported["attributes"] == document["clients"][1]["attributes"]


def test_it_imports_a_self_signed_client(client, mtls):
    cert = pki.self_signed("device")
    realm = load(
        with_client(
            clientAuthenticatorType="client-self-signed-x509",
            attributes={"jwks.string": cert.jwks()},
        )
    )
    assert token_request(client, realm, cert).status_code == 200
    assert token_request(client, realm, pki.self_signed("device")).status_code == 401
    assert export_realm(realm)["clients"][1]["clientAuthenticatorType"] == (
        "client-self-signed-x509"
    )


@pytest.mark.parametrize(
    ("authenticator", "attributes", "attribute"),
    [
        ("client-x509", {}, "x509.subjectdn"),
        ("client-x509", {"x509.subjectdn": "(CN=unclosed"}, "x509.subjectdn"),
        (
            "client-x509",
            {"x509.subjectdn": "no name", "x509.allow.regex.pattern.comparison": "false"},
            "x509.subjectdn",
        ),
        (
            "client-x509",
            {"x509.subjectdn": "CN=a", "x509.allow.regex.pattern.comparison": "sometimes"},
            "x509.allow.regex.pattern.comparison",
        ),
        (
            "client-x509",
            {"x509.subjectdn": "CN=a", "x509.san.dns": "a.example"},
            "x509.san.dns",
        ),
        ("client-x509", {"x509.san.ip": "not an address"}, "x509.san.ip"),
        ("client-self-signed-x509", {}, "jwks.string"),
        ("client-self-signed-x509", {"jwks.string": '{"keys": []}'}, "jwks.string"),
        (
            "client-secret",
            {"tls.client.certificate.bound.access.tokens": "yes"},
            "tls.client.certificate.bound.access.tokens",
        ),
    ],
)
def test_it_names_what_is_wrong_with_a_certificate_client(authenticator, attributes, attribute):
    document = with_client(
        clientAuthenticatorType=authenticator,
        secret="machine-secret-" + "m" * 30,
        attributes=attributes,
    )
    with pytest.raises(RealmFileError) as raised:
        load(document)
    assert raised.value.path == f'clients[1].attributes["{attribute}"]'


def test_it_leaves_the_subject_of_a_client_that_does_not_use_it_alone():
    """A Keycloak client may keep a Java-only pattern it does not authenticate with."""
    load(
        with_client(
            secret="machine-secret-" + "m" * 30,
            attributes={"x509.subjectdn": "(?<java>named)"},
        )
    )
