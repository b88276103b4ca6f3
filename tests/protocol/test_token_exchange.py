"""OAuth 2.0 Token Exchange (RFC 8693) at the token endpoint."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import UserSession
from authserver.models import AccessToken, Client, RefreshToken
from authserver.realmfile.exporter import export_realm
from tests.factories import make_client, make_realm, make_role, make_user
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    make_machine_client,
    make_web_client,
    post_form,
    scope_with_audience,
    tokens_for,
    verify,
)
from tests.protocol.issued import (
    client_assertion,
    client_with_key,
    grant_scopes,
    issue_grant,
    make_session,
    service_token,
)
from tests.realmfile.documents import load, quick_demo

pytestmark = pytest.mark.django_db

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
REFRESH = "urn:ietf:params:oauth:token-type:refresh_token"
JWT = "urn:ietf:params:oauth:token-type:jwt"
# Placing an order lets the order service take its payment; reading one lets it read payments.
SCOPE_PAIRS = "payments:write=orders:write payments:read=orders:read"


def exchanging(audiences="payments", subject_audiences="orders", scopes=SCOPE_PAIRS) -> dict:
    """The token-exchange attributes of a client: the audiences it may exchange for, those of
    the subject tokens it may exchange, and which subject scope allows which new scope."""
    return {
        "token.exchange.audiences": audiences,
        "token.exchange.subject.audiences": subject_audiences,
        "token.exchange.scopes": scopes,
    }


def setup(realm, *, audiences="payments"):
    """alice's grant at the web app ``app`` (``orders:read orders:write``, audience ``orders``),
    and ``orders-service`` allowed to exchange it for ``audiences``; returns (alice, her access
    token, her refresh token, orders-service)."""
    alice = make_user(realm, "alice")
    alice.roles.add(make_role(realm, "customer"))
    app = make_client(realm, "app", secret=SECRET)
    app.default_client_scopes.add(
        scope_with_audience(realm, "orders:read", "orders"),
        scope_with_audience(realm, "orders:write", "orders"),
    )
    access, refresh = issue_grant(
        app, alice, scopes=("orders:read", "orders:write"), session=make_session(alice)
    )
    orders = make_machine_client(realm, "orders-service", attributes=exchanging(audiences))
    orders.default_client_scopes.add(scope_with_audience(realm, "payments:write", "payments"))
    return alice, access, refresh, orders


def exchange(http, realm, subject_token, *, client_id="orders-service", secret=SECRET, **form):
    data = {
        "grant_type": GRANT,
        "subject_token": subject_token,
        "subject_token_type": ACCESS,
        "audience": "payments",
        **form,
    }
    data = {name: value for name, value in data.items() if value is not None}
    headers = {} if secret is None else {"HTTP_AUTHORIZATION": basic(client_id, secret)}
    return post_form(http, endpoint(realm, "token"), data, **headers)


def exchanged(http, realm, subject_token, **kwargs) -> dict:
    response = exchange(http, realm, subject_token, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


def refused(response, error: str, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    return body


def introspected(http, realm, token) -> dict:
    """What the payment service learns by introspecting ``token``."""
    if not Client.objects.filter(realm=realm, client_id="payments-api").exists():
        make_client(realm, "payments-api", secret=SECRET, standard_flow_enabled=False)
    response = post_form(
        http,
        endpoint(realm, "token/introspect"),
        {"token": token},
        HTTP_AUTHORIZATION=basic("payments-api", SECRET),
    )
    assert response.status_code == 200, response.content
    return response.json()


# --- success ------------------------------------------------------------------------------------
def test_it_exchanges_a_users_token_for_one_audience(client):
    realm = make_realm()
    alice, access, _, orders = setup(realm)
    session = UserSession.objects.get(user=alice)

    response = exchange(client, realm, access)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    body = response.json()
    assert body["issued_token_type"] == ACCESS
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "payments:write"
    assert 0 < body["expires_in"] <= realm.access_token_lifespan
    assert "refresh_token" not in body
    claims = verify(client, realm, body["access_token"], typ="at+jwt")
    assert claims["iss"] == realm.issuer
    assert claims["sub"] == str(alice.subject)
    assert claims["aud"] == ["payments"]
    assert claims["azp"] == claims["client_id"] == "orders-service"
    assert claims["act"] == {
        "sub": str(orders.service_account.subject),
        "client_id": "orders-service",
    }
    assert claims["scope"] == "payments:write"
    assert claims["realm_access"] == {"roles": ["customer"]}
    assert claims["preferred_username"] == "alice"
    assert claims["sid"] == str(session.sid)
    assert claims["exp"] <= verify(client, realm, access)["exp"]


def test_it_stores_the_token_for_introspection(client):
    realm = make_realm()
    alice, access, _, _ = setup(realm)
    token = exchanged(client, realm, access)["access_token"]

    answer = introspected(client, realm, token)

    assert answer["active"] is True
    assert answer["sub"] == str(alice.subject)
    assert answer["client_id"] == "orders-service"
    assert answer["aud"] == ["payments"]
    assert answer["act"]["client_id"] == "orders-service"
    record = AccessToken.objects.get(jti=answer["jti"])
    subject = RefreshToken.objects.get(application__client_id="app", user=alice)
    assert record.user == alice
    assert record.application.client_id == "orders-service"
    assert record.token_family == subject.token_family
    assert record.session == subject.session


def test_it_names_the_client_as_actor_when_it_has_no_service_account(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    gateway = make_client(realm, "gateway", secret=SECRET, attributes=exchanging())
    grant_scopes(gateway, "payments:write")

    token = exchanged(client, realm, access, client_id="gateway")["access_token"]

    assert verify(client, realm, token)["act"] == {"sub": "gateway", "client_id": "gateway"}


def test_it_narrows_the_scopes_to_those_asked_for(client):
    realm = make_realm()
    _, access, _, orders = setup(realm)
    orders.optional_client_scopes.add(scope_with_audience(realm, "payments:read", "payments"))
    assert exchanged(client, realm, access)["scope"] == "payments:read payments:write"

    body = exchanged(client, realm, access, scope="payments:read orders:read")

    assert body["scope"] == "payments:read"
    assert verify(client, realm, body["access_token"])["scope"] == "payments:read"


def test_it_refuses_scopes_none_of_which_is_for_the_audience(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    refused(exchange(client, realm, access, scope="orders:read"), "invalid_scope")


def test_it_accepts_a_resource_indicator_as_the_audience(client):
    realm = make_realm()
    target = "https://payments.example/api"
    _, access, _, orders = setup(realm, audiences=f"payments {target}")
    orders.attributes["token.exchange.scopes"] = "payments:api=orders:write"
    orders.save()
    orders.optional_client_scopes.add(scope_with_audience(realm, "payments:api", target))

    body = exchanged(client, realm, access, audience=None, resource=target)

    assert body["scope"] == "payments:api"
    assert verify(client, realm, body["access_token"])["aud"] == [target]


def test_it_authenticates_the_client_with_private_key_jwt(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    key = client_with_key(realm, "signer")
    signer = Client.objects.get(realm=realm, client_id="signer")
    signer.attributes |= exchanging()
    signer.save()
    grant_scopes(signer, "payments:write")

    body = exchanged(client, realm, access, secret=None, **client_assertion(key, realm, "signer"))

    assert verify(client, realm, body["access_token"])["act"]["client_id"] == "signer"


def test_it_nests_the_actor_when_an_exchanged_token_is_exchanged_again(client):
    realm = make_realm()
    alice, access, _, orders = setup(realm)
    payments = make_machine_client(
        realm,
        "payments-service",
        attributes=exchanging("ledger", "payments", "ledger:write=payments:write"),
    )
    payments.default_client_scopes.add(scope_with_audience(realm, "ledger:write", "ledger"))
    first = exchanged(client, realm, access)["access_token"]

    second = exchanged(client, realm, first, client_id="payments-service", audience="ledger")

    claims = verify(client, realm, second["access_token"])
    assert claims["sub"] == str(alice.subject)
    assert claims["aud"] == ["ledger"]
    assert claims["act"] == {
        "sub": str(payments.service_account.subject),
        "client_id": "payments-service",
        "act": {"sub": str(orders.service_account.subject), "client_id": "orders-service"},
    }


def test_it_never_outlives_the_subject_token(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    subject = verify(client, realm, access)
    subject_exp = subject["exp"]

    with time_machine.travel(subject["iat"] + 200, tick=False):
        body = exchanged(client, realm, access)

        claims = verify(client, realm, body["access_token"])
        assert claims["exp"] == subject_exp
        assert body["expires_in"] == realm.access_token_lifespan - 200
        record = AccessToken.objects.get(jti=claims["jti"])
        assert int(record.expires.timestamp()) == subject_exp


def test_it_exchanges_a_token_from_the_code_flow(client):
    realm = make_realm()
    alice = make_user(realm, "alice")
    web = make_web_client(realm, scopes=["openid"])
    web.optional_client_scopes.add(scope_with_audience(realm, "orders:write", "orders"))
    orders = make_machine_client(realm, "orders-service", attributes=exchanging())
    orders.default_client_scopes.add(scope_with_audience(realm, "payments:write", "payments"))
    login = tokens_for(client, realm, alice, scope="openid orders:write")

    claims = verify(client, realm, exchanged(client, realm, login["access_token"])["access_token"])

    assert claims["sub"] == str(alice.subject)
    assert claims["sid"] == login["session_state"]


# --- scope=openid: an ID token beside the new access token, as Keycloak answers ---------------
def openid_login(http, realm):
    """alice signed in at ``app`` with ``openid orders:write``; orders-service may exchange."""
    alice = make_user(realm, "alice")
    web = make_web_client(realm, scopes=["openid"])
    web.optional_client_scopes.add(scope_with_audience(realm, "orders:write", "orders"))
    orders = make_machine_client(realm, "orders-service", attributes=exchanging())
    orders.default_client_scopes.add(scope_with_audience(realm, "payments:write", "payments"))
    return alice, tokens_for(http, realm, alice, scope="openid orders:write")


def test_it_treats_openid_as_a_request_for_an_id_token(client):
    realm = make_realm()
    alice, login = openid_login(client, realm)

    body = exchanged(client, realm, login["access_token"], scope="openid")

    assert body["scope"] == "openid payments:write"
    access = verify(client, realm, body["access_token"], typ="at+jwt")
    assert access["aud"] == ["payments"]
    assert access["scope"] == "openid payments:write"
    identity = verify(client, realm, body["id_token"])
    assert identity["iss"] == realm.issuer
    assert identity["aud"] == "orders-service"
    assert identity["azp"] == "orders-service"
    assert identity["sub"] == str(alice.subject)
    assert identity["sid"] == login["session_state"]


def test_it_narrows_by_the_scopes_beside_openid(client):
    realm = make_realm()
    _, login = openid_login(client, realm)
    orders = Client.objects.get(realm=realm, client_id="orders-service")
    orders.optional_client_scopes.add(scope_with_audience(realm, "payments:read", "payments"))

    body = exchanged(client, realm, login["access_token"], scope="openid payments:write")

    assert body["scope"] == "openid payments:write"
    assert "id_token" in body


def test_it_gives_no_id_token_unless_asked(client):
    realm = make_realm()
    _, login = openid_login(client, realm)
    body = exchanged(client, realm, login["access_token"])
    assert body["scope"] == "payments:write"
    assert "id_token" not in body


def test_it_refuses_openid_when_the_subject_token_has_none(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    body = refused(exchange(client, realm, access, scope="openid"), "invalid_scope")
    assert body["error_description"] == "the subject token does not allow: openid"


# --- who may exchange, for what -------------------------------------------------------------
def test_it_refuses_an_audience_the_client_is_not_allowed(client):
    realm = make_realm()
    _, access, _, orders = setup(realm)
    orders.default_client_scopes.add(scope_with_audience(realm, "ledger:write", "ledger"))
    body = refused(exchange(client, realm, access, audience="ledger"), "unauthorized_client")
    assert "ledger" not in body.get("error_description", "")


def test_it_refuses_a_client_without_exchange_audiences(client):
    realm = make_realm()
    _, access, _, orders = setup(realm)
    orders.attributes = {}
    orders.save()
    refused(exchange(client, realm, access), "unauthorized_client")


def test_it_refuses_an_audience_no_scope_of_the_client_is_for(client):
    realm = make_realm()
    _, access, _, _ = setup(realm, audiences="payments ledger")
    refused(exchange(client, realm, access, audience="ledger"), "invalid_target")


def test_it_refuses_a_public_client(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    make_client(
        realm,
        "spa",
        client_type=Client.CLIENT_PUBLIC,
        attributes=exchanging(),
    )
    response = exchange(client, realm, access, secret=None, client_id="spa")
    refused(response, "invalid_client", status=401)


def test_it_refuses_a_wrong_secret(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    response = exchange(client, realm, access, secret="wrong")
    refused(response, "invalid_client", status=401)
    assert response["WWW-Authenticate"].startswith("Basic")


def test_it_refuses_a_client_of_another_realm(client):
    realm, other = make_realm(), make_realm()
    _, access, _, _ = setup(realm)
    refused(exchange(client, other, access), "invalid_client", status=401)


# --- the subject token --------------------------------------------------------------------------
def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(_b64decode(payload))
    claims["sub"] = "someone-else"
    return ".".join((header, _b64encode(json.dumps(claims).encode()), signature))


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


def test_it_refuses_an_expired_subject_token(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    later = timezone.now() + timedelta(seconds=realm.access_token_lifespan + 5)
    with time_machine.travel(later, tick=False):
        body = refused(exchange(client, realm, access), "invalid_request")
    assert body["error_description"] == "the subject token is not valid"


def test_it_refuses_a_tampered_subject_token(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    refused(exchange(client, realm, _tampered(access)), "invalid_request")


def test_it_refuses_a_subject_token_of_another_realm(client):
    realm, other = make_realm(), make_realm()
    _, access, _, _ = setup(realm)
    _, _, _, _ = setup(other)
    refused(exchange(client, other, access), "invalid_request")


def test_it_refuses_a_revoked_subject_token(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    revoked = post_form(
        client,
        endpoint(realm, "revoke"),
        {"token": access},
        HTTP_AUTHORIZATION=basic("app", SECRET),
    )
    assert revoked.status_code == 200
    refused(exchange(client, realm, access), "invalid_request")


def test_it_refuses_a_subject_token_whose_session_has_ended(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    UserSession.objects.update(ended=timezone.now())
    refused(exchange(client, realm, access), "invalid_request")


@pytest.mark.parametrize("kind", ["refresh", "garbage"])
def test_it_refuses_what_is_not_an_access_token(client, kind):
    realm = make_realm()
    _, _, refresh, _ = setup(realm)
    token = {"refresh": refresh, "garbage": "not-a-token"}[kind]
    refused(exchange(client, realm, token), "invalid_request")


def test_it_refuses_another_clients_client_credentials_token(client):
    """A machine's own token, even one for the order service's audience, speaks for no user."""
    realm = make_realm()
    setup(realm)
    machine = make_machine_client(realm, "machine")
    grant_scopes(machine, "orders:write")
    token = service_token(client, realm)
    assert verify(client, realm, token)["aud"] == ["orders"]

    body = refused(exchange(client, realm, token), "invalid_request")

    assert body["error_description"] == "the subject token is another client's own token"


# --- the subject token must be meant for the client (RFC 8693 §2.1, Keycloak's rule) ---------
def test_it_refuses_a_subject_token_meant_for_another_client(client):
    realm = make_realm()
    _, _, _, _ = setup(realm)
    bob = make_user(realm, "bob")
    spa = make_client(realm, "spa", secret=SECRET)
    token, _ = issue_grant(spa, bob, session=make_session(bob))
    assert verify(client, realm, token)["aud"] == ["spa"]

    body = refused(exchange(client, realm, token), "invalid_request")

    assert body["error_description"] == "the subject token is not meant for this client"
    assert not AccessToken.objects.filter(application__client_id="orders-service").exists()


def test_it_accepts_a_subject_token_naming_the_client_by_its_id(client):
    """Without an audience tied to it, the client must be named in the token's ``aud``."""
    realm = make_realm()
    alice, for_orders, _, orders = setup(realm)
    orders.attributes.pop("token.exchange.subject.audiences")
    orders.save()
    app = Client.objects.get(realm=realm, client_id="app")
    app.default_client_scopes.add(scope_with_audience(realm, "checkout", "orders-service"))
    for_service, _ = issue_grant(app, alice, scopes=("checkout", "orders:write"))
    assert verify(client, realm, for_service)["aud"] == ["orders", "orders-service"]

    refused(exchange(client, realm, for_orders), "invalid_request")
    claims = verify(client, realm, exchanged(client, realm, for_service)["access_token"])

    assert claims["sub"] == str(alice.subject)
    assert claims["aud"] == ["payments"]


# --- the new token's scopes are bounded by the subject token's --------------------------------
def test_it_refuses_a_scope_the_subject_token_does_not_allow(client):
    """A token to read orders does not become one to take payments."""
    realm = make_realm()
    alice, _, _, _ = setup(realm)
    reader, _ = issue_grant(
        Client.objects.get(realm=realm, client_id="app"), alice, scopes=("orders:read",)
    )

    body = refused(exchange(client, realm, reader, scope="payments:write"), "invalid_scope")

    assert body["error_description"] == "the subject token does not allow: payments:write"


def test_it_grants_only_the_scopes_the_subject_token_allows(client):
    realm = make_realm()
    alice, _, _, orders = setup(realm)
    orders.optional_client_scopes.add(scope_with_audience(realm, "payments:read", "payments"))
    app = Client.objects.get(realm=realm, client_id="app")
    reader, _ = issue_grant(app, alice, scopes=("orders:read",))

    body = exchanged(client, realm, reader)

    assert body["scope"] == "payments:read"
    assert verify(client, realm, body["access_token"])["scope"] == "payments:read"


def test_it_refuses_when_the_subject_token_allows_no_scope_for_the_audience(client):
    realm = make_realm()
    alice, _, _, _ = setup(realm)
    app = Client.objects.get(realm=realm, client_id="app")
    reader, _ = issue_grant(app, alice, scopes=("orders:read",))

    body = refused(exchange(client, realm, reader), "invalid_scope")

    assert body["error_description"] == "the subject token allows no scope for this audience"


def test_it_keeps_the_subject_tokens_own_scopes_without_pairs(client):
    """Without ``token.exchange.scopes`` a new scope must be in the subject token itself."""
    realm = make_realm()
    _, access, _, orders = setup(realm)
    orders.attributes.pop("token.exchange.scopes")
    orders.save()
    refused(exchange(client, realm, access), "invalid_scope")


# --- which subject token types a client may exchange --------------------------------------------
def test_it_refuses_a_subject_token_type_the_client_does_not_accept(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    body = refused(exchange(client, realm, access, subject_token_type=JWT), "invalid_request")
    assert body["error_description"] == f"subject_token_type {JWT} is not accepted from this client"


def test_it_accepts_the_subject_token_types_the_client_lists(client):
    realm = make_realm()
    _, access, _, orders = setup(realm)
    orders.attributes["token.exchange.subject.token.types"] = JWT
    orders.save()

    assert exchanged(client, realm, access, subject_token_type=JWT)["scope"] == "payments:write"
    refused(exchange(client, realm, access), "invalid_request")


# --- the request's shape --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("form", "description"),
    [
        ({"subject_token_type": REFRESH}, "subject_token_type must be"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:jwt"}, "subject_token_type"),
        ({"subject_token_type": None}, "subject_token_type is required"),
        ({"subject_token": None}, "subject_token is required"),
        ({"subject_token": ""}, "subject_token is required"),
        ({"requested_token_type": REFRESH}, "requested_token_type must be"),
        ({"requested_token_type": "urn:ietf:params:oauth:token-type:id_token"}, "requested"),
        ({"actor_token": "x", "actor_token_type": ACCESS}, "actor_token is not supported"),
        ({"audience": None}, "audience is required"),
    ],
)
def test_it_refuses_a_malformed_request(client, form, description):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    form = {"subject_token": access, **form}
    body = refused(exchange(client, realm, **form), "invalid_request")
    assert body["error_description"].startswith(description)


def test_it_accepts_an_explicit_requested_token_type(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    assert (
        exchanged(client, realm, access, requested_token_type=ACCESS)["issued_token_type"] == ACCESS
    )


@pytest.mark.parametrize("name", ["audience", "subject_token", "subject_token_type", "scope"])
def test_it_refuses_a_repeated_parameter(client, name):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    form = {
        "grant_type": GRANT,
        "subject_token": access,
        "subject_token_type": ACCESS,
        "audience": "payments",
        "scope": "payments:write",
    }
    body = "&".join(f"{key}={value}" for key, value in form.items())
    body += f"&{name}={form[name]}"
    response = client.post(
        endpoint(realm, "token"),
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic("orders-service", SECRET),
    )
    body = refused(response, "invalid_request")
    assert body["error_description"] == f"parameter {name} is repeated"


def test_it_refuses_two_targets(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    response = exchange(client, realm, access, resource="https://ledger.example/")
    refused(response, "invalid_target")


def test_it_refuses_a_resource_that_is_not_an_absolute_uri(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    refused(exchange(client, realm, access, audience=None, resource="payments"), "invalid_target")


# --- revocation ---------------------------------------------------------------------------------
def test_revoking_the_users_grant_revokes_the_exchanged_token(client):
    realm = make_realm()
    _, access, refresh, _ = setup(realm)
    token = exchanged(client, realm, access)["access_token"]
    assert introspected(client, realm, token)["active"] is True

    response = post_form(
        client,
        endpoint(realm, "revoke"),
        {"token": refresh},
        HTTP_AUTHORIZATION=basic("app", SECRET),
    )

    assert response.status_code == 200
    assert introspected(client, realm, token) == {"active": False}


def test_ending_the_users_session_revokes_the_exchanged_token(client):
    from accounts.sessions import terminate

    realm = make_realm()
    alice, access, _, _ = setup(realm)
    token = exchanged(client, realm, access)["access_token"]

    terminate(UserSession.objects.get(user=alice))

    assert introspected(client, realm, token) == {"active": False}
    assert not AccessToken.objects.filter(application__client_id="orders-service").exists()


def test_revoking_the_exchanged_token_leaves_the_users_grant_alone(client):
    realm = make_realm()
    _, access, _, _ = setup(realm)
    token = exchanged(client, realm, access)["access_token"]

    response = post_form(
        client,
        endpoint(realm, "revoke"),
        {"token": token},
        HTTP_AUTHORIZATION=basic("orders-service", SECRET),
    )

    assert response.status_code == 200
    assert introspected(client, realm, token) == {"active": False}
    assert introspected(client, realm, access)["active"] is True


# --- the demo realm -----------------------------------------------------------------------------
def test_the_demo_realm_lets_orders_service_exchange_for_payments(client):
    realm = load(quick_demo())
    orders = Client.objects.get(realm=realm, client_id="orders-service")
    assert orders.attributes == {
        "token.exchange.audiences": "payments",
        "token.exchange.subject.audiences": "orders",
        "token.exchange.scopes": "payments:write=orders:write",
        "backchannel.logout.url": "http://127.0.0.1:8001/backchannel-logout",
        "backchannel.logout.session.required": "true",
    }
    exported = {c["clientId"]: c for c in export_realm(realm)["clients"]}
    assert exported["orders-service"]["attributes"] == orders.attributes
    web = Client.objects.get(realm=realm, client_id="demo-web")
    alice = realm.users.get(username="alice")
    access, _ = issue_grant(
        web, alice, scopes=("orders:read", "orders:write"), session=make_session(alice)
    )

    body = exchanged(client, realm, access, secret="orders-service-secret")

    claims = verify(client, realm, body["access_token"])
    assert claims["aud"] == ["payments"]
    assert claims["scope"] == "payments:write"
    assert claims["sub"] == str(alice.subject)
    assert claims["act"]["client_id"] == "orders-service"


def test_the_demo_realm_refuses_orders_service_a_token_of_demo_spa(client):
    """demo-spa's token without ``orders:read`` is meant for demo-spa, not the order service."""
    realm = load(quick_demo())
    spa = Client.objects.get(realm=realm, client_id="demo-spa")
    alice = realm.users.get(username="alice")
    access, _ = issue_grant(spa, alice, scopes=("openid", "profile"), session=make_session(alice))
    assert verify(client, realm, access)["aud"] == ["demo-spa"]

    response = exchange(client, realm, access, secret="orders-service-secret")

    body = refused(response, "invalid_request")
    assert body["error_description"] == "the subject token is not meant for this client"


def test_the_demo_realm_gives_no_payment_for_a_token_that_only_reads_orders(client):
    realm = load(quick_demo())
    web = Client.objects.get(realm=realm, client_id="demo-web")
    alice = realm.users.get(username="alice")
    reader, _ = issue_grant(web, alice, scopes=("orders:read",), session=make_session(alice))

    response = exchange(client, realm, reader, secret="orders-service-secret")

    refused(response, "invalid_scope")
