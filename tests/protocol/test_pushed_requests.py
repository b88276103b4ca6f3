"""Pushed authorization requests (RFC 9126): the client pushes its request, authenticated; the
browser carries only the request URI, used once, and the pushed parameters are the only ones."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from authserver.models import PushedRequest
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    REDIRECT_URI,
    SECRET,
    authorize_params,
    authorize_url,
    basic,
    endpoint,
    exchange_code,
    login,
    make_web_client,
    post_form,
    redirect_params,
    verify,
)

pytestmark = pytest.mark.django_db

PAR = "ext/par/request"


@pytest.fixture
def realm(db):
    realm = make_realm("acme")
    make_web_client(realm, "app", scopes=("openid",))
    return realm


def push(http, realm, client_id="app", secret=SECRET, **params):
    form = {
        name: value
        for name, value in authorize_params(client_id, **params).items()
        if name != "client_id"
    }
    return post_form(http, endpoint(realm, PAR), form, HTTP_AUTHORIZATION=basic(client_id, secret))


def by_reference(realm, request_uri, client_id="app", **extra):
    return authorize_url(realm, client_id=client_id, request_uri=request_uri, **extra)


def test_it_answers_a_request_uri_the_browser_then_carries(client, realm):
    pushed = push(client, realm, scope="openid", state="pushed-state")
    assert pushed.status_code == 201, pushed.content
    assert pushed["Cache-Control"] == "no-store"
    body = pushed.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 60
    assert body["request_uri"] not in PushedRequest.objects.get().uri_hash

    user = make_user(realm, "alice")
    first = client.get(by_reference(realm, body["request_uri"]))
    assert first["Location"].startswith("/realms/acme/login")
    next_url = parse_qs(urlsplit(first["Location"]).query)["next"][0]
    # The login page's way back carries the reference, never the pushed parameters.
    assert "request_uri" in next_url and "code_challenge" not in next_url
    back = login(client, realm, user.username, next_url=next_url)
    answer = redirect_params(client.get(back["Location"]))
    assert answer["state"] == "pushed-state"
    tokens = exchange_code(client, realm, answer["code"])
    assert tokens.status_code == 200, tokens.content
    assert verify(client, realm, tokens.json()["access_token"])["sub"] == str(user.subject)


def test_it_reads_only_the_pushed_parameters(client, realm):
    request_uri = push(client, realm, state="pushed").json()["request_uri"]
    make_user(realm, "alice")
    login(client, realm, "alice")
    response = client.get(
        by_reference(
            realm,
            request_uri,
            redirect_uri="https://evil.example/cb",
            state="browser",
            code_challenge="x" * 43,
        )
    )
    assert response["Location"].startswith(REDIRECT_URI)
    assert redirect_params(response)["state"] == "pushed"


def test_it_uses_a_request_uri_once(client, realm):
    make_user(realm, "alice")
    login(client, realm, "alice")
    request_uri = push(client, realm).json()["request_uri"]
    assert "code" in redirect_params(client.get(by_reference(realm, request_uri)))
    again = client.get(by_reference(realm, request_uri))
    assert again.status_code == 400
    assert "Location" not in again


def test_it_refuses_an_expired_request_uri(client, realm):
    make_user(realm, "alice")
    login(client, realm, "alice")
    request_uri = push(client, realm).json()["request_uri"]
    PushedRequest.objects.update(expires=timezone.now())
    assert client.get(by_reference(realm, request_uri)).status_code == 400


def test_it_refuses_another_clients_request_uri(client, realm):
    make_web_client(realm, "other")
    make_user(realm, "alice")
    login(client, realm, "alice")
    request_uri = push(client, realm).json()["request_uri"]
    response = client.get(by_reference(realm, request_uri, client_id="other"))
    assert response.status_code == 400
    assert PushedRequest.objects.exists()  # still the first client's to use


def test_it_refuses_another_realms_request_uri(client, realm):
    other = make_realm("other")
    make_web_client(other, "app")
    request_uri = push(client, realm).json()["request_uri"]
    assert client.get(by_reference(other, request_uri)).status_code == 400


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"redirect_uri": "https://evil.example/cb"}, 400, "invalid_request"),
        ({"response_type": "token"}, 400, "unsupported_response_type"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:x"}, 400, "invalid_request"),
        ({"response_mode": "nowhere"}, 400, "invalid_request"),
    ],
)
def test_it_refuses_a_bad_pushed_request(client, realm, change, status, error):
    response = push(client, realm, **change)
    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    assert not PushedRequest.objects.exists()


def test_it_authenticates_the_pushing_client(client, realm):
    response = push(client, realm, secret="wrong-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not PushedRequest.objects.exists()


def test_it_refuses_a_client_id_other_than_the_authenticated_one(client, realm):
    make_web_client(realm, "other")
    form = authorize_params("other")
    response = post_form(
        client, endpoint(realm, PAR), form, HTTP_AUTHORIZATION=basic("app", SECRET)
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not PushedRequest.objects.exists()


def test_a_public_client_pushes_with_its_client_id(client, realm):
    make_web_client(realm, "spa", public=True)
    response = post_form(client, endpoint(realm, PAR), authorize_params("spa"))
    assert response.status_code == 201, response.content


def test_it_answers_only_post(client, realm):
    assert client.get(endpoint(realm, PAR)).status_code == 405


def test_a_client_that_requires_it_is_refused_a_request_not_pushed(client, realm):
    strict = make_web_client(
        realm, "strict", attributes={"require.pushed.authorization.requests": "true"}
    )
    make_user(realm, "alice")
    login(client, realm, "alice")
    plain = client.get(authorize_url(realm, **authorize_params(strict.client_id)))
    assert redirect_params(plain)["error"] == "invalid_request"
    request_uri = push(client, realm, client_id="strict").json()["request_uri"]
    pushed = client.get(by_reference(realm, request_uri, client_id="strict"))
    assert "code" in redirect_params(pushed)


def test_discovery_names_the_endpoint(client, realm):
    document = client.get(f"/realms/{realm.name}/.well-known/openid-configuration").json()
    assert document["pushed_authorization_request_endpoint"] == (
        f"{realm.issuer}/protocol/openid-connect/ext/par/request"
    )
    assert document["require_pushed_authorization_requests"] is False
