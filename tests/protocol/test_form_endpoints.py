"""What the token, introspection and revocation endpoints all refuse before anything else: the
form checks of protocol/params.py, through each endpoint."""

import pytest

from tests.factories import make_realm
from tests.protocol.helpers import SECRET, basic, endpoint, make_machine_client, post_form

pytestmark = pytest.mark.django_db

ENDPOINTS = ["token", "token/introspect", "revoke"]
FORM_OF = {
    "token": "grant_type=client_credentials",
    "token/introspect": "token=x",
    "revoke": "token=x",
}


@pytest.fixture
def realm():
    realm = make_realm()
    make_machine_client(realm)
    return realm


def post(http, realm, name, body, content_type="application/x-www-form-urlencoded"):
    return http.post(
        endpoint(realm, name),
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )


@pytest.mark.parametrize("name", ENDPOINTS)
def test_it_refuses_a_get(client, realm, name):
    response = client.get(endpoint(realm, name))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '{"token": "x", "grant_type": "client_credentials"}'),
        ("multipart/form-data; boundary=nothing", "garbage"),
        ("text/plain", "token=x"),
    ],
)
def test_it_refuses_a_body_that_is_not_a_form(client, realm, name, content_type, body):
    response = post(client, realm, name, body, content_type)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_it_refuses_a_repeated_parameter(client, realm, name):
    form = FORM_OF[name]
    response = post(client, realm, name, f"{form}&{form}")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("name", ["token/introspect", "revoke"])
def test_it_requires_the_token(client, realm, name):
    response = post_form(
        client, endpoint(realm, name), {}, HTTP_AUTHORIZATION=basic("machine", SECRET)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
