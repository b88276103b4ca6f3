"""Mutual-TLS client authentication and certificate-bound tokens (RFC 8705), the certificate
forwarded by a trusted proxy as nginx forwards it ($ssl_client_escaped_cert). The live tests
(tests/e2e/test_openid_client_mtls.py) take it from gunicorn's own TLS connection."""

import pytest

from authserver.models import Client
from tests import pki
from tests.factories import make_client, make_realm, make_user
from tests.protocol.helpers import (
    REDIRECT_URI,
    SECRET,
    VERIFIER,
    authorize_and_get_code,
    basic,
    endpoint,
    make_web_client,
    post_form,
    refresh_claims,
    verify,
)

pytestmark = pytest.mark.django_db

HEADER = pki.HEADER
CERT = pki.META
SUBJECT = "CN=machine,O=Example,C=DE"


@pytest.fixture(scope="module")
def authority(client_ca):
    return client_ca


@pytest.fixture(scope="module")
def machine_cert(authority):
    return authority.issue(
        pki.name("machine", organization="Example", country="DE"),
        dns=("machine.example",),
        uris=("spiffe://example/machine",),
    )


def x509_client(realm, client_id="machine", *, attributes=None, **fields):
    """A service client that authenticates with a certificate of the CA (tls_client_auth)."""
    from tests.protocol.helpers import make_machine_client

    attributes = {
        "client.authenticator.type": "client-x509",
        "x509.subjectdn": SUBJECT,
        "x509.allow.regex.pattern.comparison": "false",
        **(attributes or {}),
    }
    attributes = {name: value for name, value in attributes.items() if value is not None}
    return make_machine_client(realm, client_id, attributes=attributes, **fields)


def token_request(http, realm, cert=None, client_id="machine", **form):
    headers = {CERT: cert.header} if cert is not None else {}
    data = {"grant_type": "client_credentials", "client_id": client_id, **form}
    return post_form(http, endpoint(realm, "token"), data, **headers)


def assert_invalid_client(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    assert response["Cache-Control"] == "no-store"


# --- tls_client_auth ---------------------------------------------------------------------------
def test_it_authenticates_a_client_by_its_certificate_and_subject_dn(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm)
    response = token_request(client, realm, machine_cert)
    assert response.status_code == 200, response.content
    claims = verify(client, realm, response.json()["access_token"])
    assert claims["azp"] == "machine"
    assert "cnf" not in claims  # not bound unless the client asks for it


def test_it_refuses_a_client_certificate_client_without_a_certificate(client, mtls):
    realm = make_realm()
    x509_client(realm)
    assert_invalid_client(token_request(client, realm))


def test_it_refuses_a_certificate_of_another_subject(client, mtls, authority):
    realm = make_realm()
    x509_client(realm)
    other = authority.issue(pki.name("intruder", organization="Example", country="DE"))
    assert_invalid_client(token_request(client, realm, other))


def test_it_refuses_the_right_subject_from_another_ca(client, mtls):
    realm = make_realm()
    x509_client(realm)
    forged = pki.Authority("another CA").issue(
        pki.name("machine", organization="Example", country="DE")
    )
    assert_invalid_client(token_request(client, realm, forged))


def test_it_refuses_an_expired_certificate(client, mtls, authority):
    realm = make_realm()
    x509_client(realm)
    expired = authority.issue(
        pki.name("machine", organization="Example", country="DE"), expired=True
    )
    assert_invalid_client(token_request(client, realm, expired))


def test_it_refuses_a_server_certificate(client, mtls, authority):
    realm = make_realm()
    x509_client(realm)
    server = authority.issue(pki.name("machine", organization="Example", country="DE"), server=True)
    assert_invalid_client(token_request(client, realm, server))


@pytest.mark.parametrize(
    "registered",
    ["CN=machine, O=Example, C=DE", "cn=Machine,o=example,c=de", "CN=machine;O=Example;C=DE"],
)
def test_it_compares_subject_dns_as_names_not_strings(client, mtls, machine_cert, registered):
    realm = make_realm()
    x509_client(realm, attributes={"x509.subjectdn": registered})
    assert token_request(client, realm, machine_cert).status_code == 200


def test_it_refuses_a_subject_dn_in_another_order(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm, attributes={"x509.subjectdn": "C=DE,O=Example,CN=machine"})
    assert_invalid_client(token_request(client, realm, machine_cert))


@pytest.mark.parametrize(
    ("pattern", "status"),
    [
        ("(.*?)CN=machine(.*?)", 200),
        ("CN=machine, O=Example, C=DE", 200),  # Java's spelling, as Keycloak matches
        ("CN=mach", 401),  # the whole subject must match
        ("(.*?)CN=intruder(.*?)", 401),
    ],
)
def test_it_matches_keycloaks_regular_expressions(client, mtls, machine_cert, pattern, status):
    realm = make_realm()
    # Without x509.allow.regex.pattern.comparison the DN is a pattern, as in Keycloak.
    x509_client(
        realm, attributes={"x509.subjectdn": pattern, "x509.allow.regex.pattern.comparison": None}
    )
    assert token_request(client, realm, machine_cert).status_code == status


@pytest.mark.parametrize(
    ("attribute", "value", "status"),
    [
        ("x509.san.dns", "machine.example", 200),
        ("x509.san.dns", "MACHINE.example.", 200),
        ("x509.san.dns", "other.example", 401),
        ("x509.san.uri", "spiffe://example/machine", 200),
        ("x509.san.uri", "spiffe://example/other", 401),
        ("x509.san.ip", "192.0.2.1", 401),
        ("x509.san.email", "machine@example.com", 401),
    ],
)
def test_it_matches_a_subject_alternative_name(
    client, mtls, machine_cert, attribute, value, status
):
    realm = make_realm()
    x509_client(realm, attributes={"x509.subjectdn": None, attribute: value})
    assert token_request(client, realm, machine_cert).status_code == status


def test_it_matches_ip_and_email_subject_alternative_names(client, mtls, authority):
    realm = make_realm()
    cert = authority.issue("device", ips=("192.0.2.7",), emails=("Device@Example.COM",))
    x509_client(realm, "by-ip", attributes={"x509.subjectdn": None, "x509.san.ip": "192.0.2.7"})
    x509_client(
        realm,
        "by-email",
        attributes={"x509.subjectdn": None, "x509.san.email": "Device@example.com"},
    )
    assert token_request(client, realm, cert, client_id="by-ip").status_code == 200
    assert token_request(client, realm, cert, client_id="by-email").status_code == 200


def test_it_checks_the_issuing_ca_when_the_client_names_it(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm, "right", attributes={"x509.casubjectdn": "CN=test client CA,O=Test"})
    x509_client(realm, "wrong", attributes={"x509.casubjectdn": "CN=another CA,O=Test"})
    assert token_request(client, realm, machine_cert, client_id="right").status_code == 200
    assert_invalid_client(token_request(client, realm, machine_cert, client_id="wrong"))


def test_it_refuses_the_secret_of_a_certificate_client(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
        **{CERT: machine_cert.header},
    )
    assert_invalid_client(response)


def test_it_does_not_let_a_certificate_stand_for_a_secret(client, mtls, machine_cert):
    """A client-secret client's certificate proves nothing: it must send its secret."""
    realm = make_realm()
    make_client(realm, "machine", secret=SECRET, service_accounts_enabled=True)
    assert_invalid_client(token_request(client, realm, machine_cert))


def test_it_finds_no_client_of_another_realm(client, mtls, machine_cert):
    x509_client(make_realm("first"))
    charlie = make_realm("second")
    assert_invalid_client(token_request(client, charlie, machine_cert))


# --- where the certificate comes from ------------------------------------------------------------
def test_it_ignores_the_header_from_a_peer_that_is_no_trusted_proxy(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", "client_id": "machine"},
        REMOTE_ADDR="203.0.113.9",
        **{CERT: machine_cert.header},
    )
    assert_invalid_client(response)


def test_it_reads_the_header_from_a_trusted_proxy_elsewhere(client, mtls, machine_cert):
    mtls.AUTHSERVER_FORWARDED_ALLOW_IPS = ["10.0.0.2"]
    realm = make_realm()
    x509_client(realm)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", "client_id": "machine"},
        REMOTE_ADDR="10.0.0.2",
        **{CERT: machine_cert.header},
    )
    assert response.status_code == 200, response.content
    assert_invalid_client(token_request(client, realm, machine_cert))  # 127.0.0.1: not trusted


def test_it_reads_no_header_unless_one_is_configured(client, mtls, machine_cert):
    mtls.AUTHSERVER_MTLS_CERT_HEADER = ""
    realm = make_realm()
    x509_client(realm)
    assert_invalid_client(token_request(client, realm, machine_cert))


def test_it_reads_rfc_9440s_client_cert_field(client, mtls, machine_cert):
    import base64

    mtls.AUTHSERVER_MTLS_CERT_HEADER = "Client-Cert"
    realm = make_realm()
    x509_client(realm)
    field = ":" + base64.b64encode(machine_cert.der).decode() + ":"
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", "client_id": "machine"},
        HTTP_CLIENT_CERT=field,
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("garbage", ["not a certificate", "%2D%2D%2D", ":AAAA:", "x" * 20000])
def test_it_takes_garbage_in_the_header_for_no_certificate(client, mtls, garbage):
    realm = make_realm()
    x509_client(realm)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials", "client_id": "machine"},
        **{CERT: garbage},
    )
    assert_invalid_client(response)


class TLSSocket:
    """What gunicorn puts in the environ of a request over its TLS (``gunicorn.socket``); the
    live tests (tests/e2e/test_openid_client_mtls.py) use the real one."""

    def __init__(self, der: bytes | None):
        self.der = der

    def getpeercert(self, binary_form=False):
        assert binary_form
        return self.der


def test_it_takes_the_certificate_of_gunicorns_tls_socket(client, mtls, machine_cert):
    mtls.AUTHSERVER_MTLS_CERT_HEADER = ""
    realm = make_realm()
    x509_client(realm)
    form = {"grant_type": "client_credentials", "client_id": "machine"}
    url = endpoint(realm, "token")
    taken = post_form(client, url, form, **{"gunicorn.socket": TLSSocket(machine_cert.der)})
    assert taken.status_code == 200, taken.content
    assert_invalid_client(post_form(client, url, form, **{"gunicorn.socket": TLSSocket(None)}))


def test_it_takes_only_the_header_from_a_trusted_proxy(client, mtls, machine_cert, authority):
    """Behind a proxy, the certificate of the connection is the proxy's own."""
    realm = make_realm()
    x509_client(realm)
    proxy = TLSSocket(authority.issue("gateway").der)
    form = {"grant_type": "client_credentials", "client_id": "machine"}
    url = endpoint(realm, "token")
    taken = post_form(client, url, form, **{"gunicorn.socket": proxy}, **machine_cert.forwarded)
    assert taken.status_code == 200, taken.content
    socket_only = TLSSocket(machine_cert.der)
    assert_invalid_client(post_form(client, url, form, **{"gunicorn.socket": socket_only}))


# --- self_signed_tls_client_auth -----------------------------------------------------------------
def self_signed_client(realm, cert, client_id="device"):
    from tests.protocol.helpers import make_machine_client

    return make_machine_client(
        realm,
        client_id,
        attributes={
            "client.authenticator.type": "client-self-signed-x509",
            "jwks.string": cert.jwks(),
        },
    )


def test_it_authenticates_a_client_by_its_registered_self_signed_certificate(client, mtls):
    realm = make_realm()
    cert = pki.self_signed("device")
    self_signed_client(realm, cert)
    response = token_request(client, realm, cert, client_id="device")
    assert response.status_code == 200, response.content


def test_it_refuses_a_self_signed_certificate_it_was_not_given(client, mtls, authority):
    realm = make_realm()
    self_signed_client(realm, pki.self_signed("device"))
    look_alike = pki.self_signed("device")
    assert_invalid_client(token_request(client, realm, look_alike, client_id="device"))
    # A certificate of the trusted CA is no registered certificate either.
    assert_invalid_client(
        token_request(client, realm, authority.issue("device"), client_id="device")
    )


def test_it_authenticates_self_signed_clients_without_a_ca(client, mtls):
    mtls.AUTHSERVER_MTLS_CA = ""
    realm = make_realm()
    cert = pki.self_signed("device")
    self_signed_client(realm, cert)
    assert token_request(client, realm, cert, client_id="device").status_code == 200


# --- the other endpoints that authenticate clients ----------------------------------------------
def test_it_authenticates_at_introspection_and_revocation(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm)
    token = token_request(client, realm, machine_cert).json()["access_token"]
    introspected = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": token, "client_id": "machine"},
        **{CERT: machine_cert.header},
    )
    assert introspected.status_code == 200, introspected.content
    assert introspected.json()["active"] is True
    refused = post_form(
        client, endpoint(realm, "token/introspect"), {"token": token, "client_id": "machine"}
    )
    assert_invalid_client(refused)
    revoked = post_form(
        client,
        endpoint(realm, "revoke"),
        {"token": token, "client_id": "machine"},
        **{CERT: machine_cert.header},
    )
    assert revoked.status_code == 200, revoked.content
    again = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": token, "client_id": "machine"},
        **{CERT: machine_cert.header},
    )
    assert again.json() == {"active": False}


def test_it_authenticates_at_pushed_authorization_requests(client, mtls, machine_cert):
    realm = make_realm()
    make_web_client(realm, "app")
    Client.objects.filter(client_id="app").update(
        attributes={
            "client.authenticator.type": "client-x509",
            "x509.subjectdn": SUBJECT,
            "x509.allow.regex.pattern.comparison": "false",
        }
    )
    form = {
        "client_id": "app",
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    url = endpoint(realm, "ext/par/request")
    pushed = post_form(client, url, form, **{CERT: machine_cert.header})
    assert pushed.status_code == 201, pushed.content
    assert_invalid_client(post_form(client, url, form))


def test_it_authenticates_at_device_authorization(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm, attributes={"oauth2.device.authorization.grant.enabled": "true"})
    url = endpoint(realm, "auth/device")
    started = post_form(client, url, {"client_id": "machine"}, **{CERT: machine_cert.header})
    assert started.status_code == 200, started.content
    assert_invalid_client(post_form(client, url, {"client_id": "machine"}))


# --- certificate-bound access tokens -------------------------------------------------------------
BOUND = {"tls.client.certificate.bound.access.tokens": "true"}


def test_it_binds_the_token_to_the_certificate(client, mtls, machine_cert):
    realm = make_realm()
    x509_client(realm, attributes=BOUND)
    response = token_request(client, realm, machine_cert)
    assert response.status_code == 200, response.content
    claims = verify(client, realm, response.json()["access_token"])
    assert claims["cnf"] == {"x5t#S256": machine_cert.thumbprint}
    introspected = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": response.json()["access_token"], "client_id": "machine"},
        **{CERT: machine_cert.header},
    )
    assert introspected.json()["cnf"] == {"x5t#S256": machine_cert.thumbprint}


def test_it_binds_the_tokens_of_a_client_that_authenticates_with_its_secret(
    client, mtls, machine_cert
):
    realm = make_realm()
    from tests.protocol.helpers import make_machine_client

    make_machine_client(realm, attributes=BOUND)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
        **{CERT: machine_cert.header},
    )
    claims = verify(client, realm, response.json()["access_token"])
    assert claims["cnf"] == {"x5t#S256": machine_cert.thumbprint}
    # Without a certificate there is nothing to bind to: refused, as Keycloak does.
    unbound = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert unbound.status_code == 400, unbound.content
    assert unbound.json()["error"] == "invalid_request"


def userinfo(http, realm, token, cert=None):
    headers = {CERT: cert.header} if cert is not None else {}
    return http.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def public_bound_client(realm):
    client = make_web_client(realm, "spa", public=True, scopes=("openid",))
    client.attributes = dict(BOUND)
    client.save()
    return client


def code_flow(http, realm, user, cert):
    code = authorize_and_get_code(http, realm, user, "spa", scope="openid")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
        "client_id": "spa",
    }
    headers = {CERT: cert.header} if cert is not None else {}
    return post_form(http, endpoint(realm, "token"), form, **headers)


def test_it_binds_a_public_clients_tokens_without_authenticating_it(client, mtls, authority):
    realm = make_realm()
    public_bound_client(realm)
    user = make_user(realm, "alice")
    cert = pki.self_signed("alice's phone")  # any certificate: the client does not authenticate
    response = code_flow(client, realm, user, cert)
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert verify(client, realm, tokens["access_token"])["cnf"] == {"x5t#S256": cert.thumbprint}
    # RFC 8705 §4: the refresh token of a public client is bound too.
    assert refresh_claims(tokens["refresh_token"])["cnf"] == {"x5t#S256": cert.thumbprint}
    assert "cnf" not in verify(client, realm, tokens["id_token"])

    url = endpoint(realm, "token")
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    form["client_id"] = "spa"
    # From another certificate: invalid_grant; from none, the client cannot bind its new tokens.
    for other, error in (
        (pki.self_signed("alice's phone"), "invalid_grant"),
        (None, "invalid_request"),
    ):
        refused = post_form(client, url, form, **({CERT: other.header} if other else {}))
        assert refused.status_code == 400, refused.content
        assert refused.json()["error"] == error
    # The refusals did not spend it: from the right certificate it still refreshes.
    refreshed = post_form(client, url, form, **{CERT: cert.header})
    assert refreshed.status_code == 200, refreshed.content
    again = refreshed.json()
    assert verify(client, realm, again["access_token"])["cnf"] == {"x5t#S256": cert.thumbprint}
    assert refresh_claims(again["refresh_token"])["cnf"] == {"x5t#S256": cert.thumbprint}


def test_it_answers_userinfo_only_over_the_bound_certificate(client, mtls):
    realm = make_realm()
    public_bound_client(realm)
    cert = pki.self_signed("alice's phone")
    token = code_flow(client, realm, make_user(realm, "alice"), cert).json()["access_token"]
    assert userinfo(client, realm, token, cert).status_code == 200
    for other in (None, pki.self_signed("alice's phone")):
        refused = userinfo(client, realm, token, other)
        assert refused.status_code == 401, refused.content
        assert 'error="invalid_token"' in refused["WWW-Authenticate"]


def test_it_refuses_a_bound_refresh_token_from_another_certificate(client, mtls):
    """The binding of the refresh token itself: its client has since stopped binding, so only
    the token's ``cnf`` refuses the refresh."""
    realm = make_realm()
    spa = public_bound_client(realm)
    cert = pki.self_signed("alice's phone")
    tokens = code_flow(client, realm, make_user(realm, "alice"), cert).json()
    spa.attributes = {}
    spa.save()
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    form["client_id"] = "spa"
    other = pki.self_signed("mallory")
    refused = post_form(client, endpoint(realm, "token"), form, **{CERT: other.header})
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"] == "invalid_grant"
    refused = post_form(client, endpoint(realm, "token"), form)
    assert refused.json()["error"] == "invalid_grant"


def test_it_refuses_a_bound_client_that_presents_no_certificate(client, mtls):
    realm = make_realm()
    public_bound_client(realm)
    response = code_flow(client, realm, make_user(realm, "alice"), None)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"


# --- discovery ---------------------------------------------------------------------------------
def metadata(http, realm) -> dict:
    return http.get(f"/realms/{realm.name}/.well-known/openid-configuration").json()


def test_it_advertises_nothing_of_mutual_tls_without_client_certificates(client, settings):
    settings.AUTHSERVER_MTLS_ENABLED = False
    found = metadata(client, make_realm())
    assert "tls_client_certificate_bound_access_tokens" not in found
    assert "mtls_endpoint_aliases" not in found
    for name in ("token", "introspection", "revocation"):
        methods = found[f"{name}_endpoint_auth_methods_supported"]
        assert not {"tls_client_auth", "self_signed_tls_client_auth"} & set(methods)


def test_it_advertises_mutual_tls_when_client_certificates_reach_it(client, mtls):
    found = metadata(client, make_realm())
    assert found["tls_client_certificate_bound_access_tokens"] is True
    for name in ("token", "introspection", "revocation"):
        methods = found[f"{name}_endpoint_auth_methods_supported"]
        assert {"tls_client_auth", "self_signed_tls_client_auth"} <= set(methods)
    assert "mtls_endpoint_aliases" not in found


def test_it_offers_tls_client_auth_only_with_a_ca(client, mtls):
    mtls.AUTHSERVER_MTLS_CA = ""
    methods = metadata(client, make_realm())["token_endpoint_auth_methods_supported"]
    assert "self_signed_tls_client_auth" in methods
    assert "tls_client_auth" not in methods


def test_it_names_the_endpoints_of_the_mtls_host(client, mtls):
    mtls.AUTHSERVER_MTLS_URL = "https://mtls.auth.example"
    realm = make_realm("shop")
    aliases = metadata(client, realm)["mtls_endpoint_aliases"]
    base = "https://mtls.auth.example/realms/shop/protocol/openid-connect"
    assert aliases == {
        "token_endpoint": f"{base}/token",
        "revocation_endpoint": f"{base}/revoke",
        "introspection_endpoint": f"{base}/token/introspect",
        "userinfo_endpoint": f"{base}/userinfo",
        "pushed_authorization_request_endpoint": f"{base}/ext/par/request",
        "device_authorization_endpoint": f"{base}/auth/device",
    }


# --- configuration ---------------------------------------------------------------------------
def test_it_says_at_startup_when_the_client_ca_is_unusable(settings, tmp_path):
    from django.core import checks

    settings.AUTHSERVER_MTLS_CA = str(tmp_path / "missing.pem")
    found = {message.id for message in checks.run_checks(tags=[checks.Tags.security])}
    assert "authserver.E030" in found
    (tmp_path / "garbage.pem").write_text("not a certificate")
    settings.AUTHSERVER_MTLS_CA = str(tmp_path / "garbage.pem")
    found = {message.id for message in checks.run_checks(tags=[checks.Tags.security])}
    assert "authserver.E030" in found


def test_it_refuses_to_believe_a_certificate_header_from_every_peer(settings):
    from django.core import checks

    settings.AUTHSERVER_MTLS_CERT_HEADER = HEADER
    settings.AUTHSERVER_FORWARDED_ALLOW_IPS = ["*"]
    found = {message.id for message in checks.run_checks(tags=[checks.Tags.security])}
    assert "authserver.E031" in found
    settings.AUTHSERVER_FORWARDED_ALLOW_IPS = ["10.0.0.2"]
    found = {message.id for message in checks.run_checks(tags=[checks.Tags.security])}
    assert "authserver.E031" not in found


def test_it_refuses_a_bound_token_at_the_admin_api_over_another_connection(
    client, mtls, machine_cert
):
    from authserver.adminapi import realm_management
    from tests.adminapi.helpers import ADMIN_CLIENT, admin_roles, call, url
    from tests.protocol.issued import issue_grant

    realm = make_realm()
    admin = make_user(realm, "admin")
    admin.roles.add(*admin_roles(realm, realm_management.VIEW_CLIENTS))
    token, _ = issue_grant(
        make_client(realm, ADMIN_CLIENT), admin, cnf={"x5t#S256": machine_cert.thumbprint}
    )
    assert (
        call(client, "GET", url(realm, "clients"), token, **machine_cert.forwarded).status_code
        == 200
    )
    refused = call(client, "GET", url(realm, "clients"), token)
    assert refused.status_code == 401, refused.content
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]


def test_it_ends_a_session_by_a_bound_refresh_token_only_over_its_certificate(client, mtls):
    realm = make_realm()
    public_bound_client(realm)
    cert = pki.self_signed("alice's phone")
    tokens = code_flow(client, realm, make_user(realm, "alice"), cert).json()
    form = {"refresh_token": tokens["refresh_token"], "client_id": "spa"}
    url = endpoint(realm, "logout")
    refused = post_form(client, url, form, **pki.self_signed("mallory").forwarded)
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"] == "invalid_grant"
    assert post_form(client, url, form, **cert.forwarded).status_code == 204
