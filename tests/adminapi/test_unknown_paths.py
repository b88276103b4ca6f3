"""Every path under /admin/realms/ that is no route answers a JSON 404, never a console page."""

import pytest

from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "tail",
    ["attack-detection/brute-force/users", "users/x/y/z", "authentication/flows", "nothing/"],
)
def test_it_answers_a_json_404_for_an_unknown_path(client, realm, method, tail):
    token = admin_token(realm, rm.REALM_ADMIN)
    answer = call(client, method, url(realm, tail), token, body={})
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["error"] == "not_found"
    assert answer["Cache-Control"] == "no-store"


def test_it_answers_a_json_404_without_a_token_too(client, realm):
    answer = client.post("/admin/realms/acme/x", {"a": "b"})
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_it_takes_a_trailing_slash_as_keycloak_does(client, realm):
    token = admin_token(realm, rm.REALM_ADMIN)
    created = call(client, "POST", url(realm, "users/"), token, body={"username": "bob"})
    assert created.status_code == 201
    assert [user["username"] for user in call(client, "GET", url(realm, "users/"), token).json()]
