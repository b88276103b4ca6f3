"""One client authentication method per request (RFC 6749 §2.3), the Basic scheme in any case
(RFC 9110 §11.1), and required parameters sent empty (RFC 6749 §3.1), at every endpoint that
authenticates clients."""

import pytest

from tests.factories import make_realm
from tests.protocol.helpers import SECRET, basic, endpoint, make_machine_client, post_form

pytestmark = pytest.mark.django_db

# Each endpoint that authenticates clients, with a form it accepts from an authenticated one.
ENDPOINTS = {
    "token": {"grant_type": "client_credentials"},
    "token/introspect": {"token": "not-a-token"},
    "revoke": {"token": "not-a-token"},
}


@pytest.fixture
def realm():
    realm = make_realm()
    make_machine_client(realm, standard_flow_enabled=True)
    make_machine_client(realm, "other")
    return realm


def assert_error(response, status: int, error: str):
    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_it_refuses_basic_credentials_and_a_secret_in_the_body_together(client, realm, name):
    response = post_form(
        client,
        endpoint(realm, name),
        {**ENDPOINTS[name], "client_id": "machine", "client_secret": SECRET},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("name", ENDPOINTS)
def test_it_does_not_let_a_right_secret_in_the_body_save_a_wrong_one_in_the_header(
    client, realm, name
):
    response = post_form(
        client,
        endpoint(realm, name),
        {**ENDPOINTS[name], "client_id": "machine", "client_secret": SECRET},
        HTTP_AUTHORIZATION=basic("machine", "wrong"),
    )
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("name", ENDPOINTS)
def test_it_refuses_basic_credentials_and_a_client_assertion_together(client, realm, name):
    response = post_form(
        client,
        endpoint(realm, name),
        {
            **ENDPOINTS[name],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": "a.b.c",
        },
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("name", ENDPOINTS)
def test_it_refuses_a_form_naming_another_client_than_the_basic_credentials(client, realm, name):
    response = post_form(
        client,
        endpoint(realm, name),
        {**ENDPOINTS[name], "client_id": "other"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert_error(response, 401, "invalid_client")
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
def test_it_reads_the_basic_scheme_in_any_case(client, realm, name, scheme):
    credentials = basic("machine", SECRET).split(" ", 1)[1]
    response = post_form(
        client, endpoint(realm, name), ENDPOINTS[name], HTTP_AUTHORIZATION=f"{scheme} {credentials}"
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("grant_type", [None, ""])
def test_it_answers_invalid_request_without_a_grant_type(client, realm, grant_type):
    form = {"scope": "openid"} if grant_type is None else {"grant_type": grant_type}
    response = post_form(
        client, endpoint(realm, "token"), form, HTTP_AUTHORIZATION=basic("machine", SECRET)
    )
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "authorization_code", "code": "", "redirect_uri": "https://app.example/cb"},
        {"grant_type": "refresh_token", "refresh_token": ""},
    ],
    ids=["code", "refresh_token"],
)
def test_it_answers_invalid_request_for_an_empty_code_or_refresh_token(client, realm, form):
    response = post_form(
        client, endpoint(realm, "token"), form, HTTP_AUTHORIZATION=basic("machine", SECRET)
    )
    assert_error(response, 400, "invalid_request")
