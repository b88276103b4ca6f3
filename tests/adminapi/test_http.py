"""What every admin API answer shares: bearer authentication, JSON bodies, errors, headers."""

import pytest
from django.utils import timezone

from authserver.adminapi import http
from authserver.adminapi import realm_management as rm
from authserver.models import Client, RefreshToken
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_client
from tests.protocol.helpers import make_machine_client
from tests.protocol.issued import service_token

pytestmark = pytest.mark.django_db


def test_it_refuses_a_bad_token_with_a_challenge(client, realm):
    for token in ("not-a-jwt", admin_token(realm, rm.REALM_ADMIN)[:-4] + "AAAA"):
        response = call(client, "GET", url(realm, "users"), token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="admin", error="invalid_token"'
        assert response.json()["error"] == "invalid_token"


def test_it_refuses_a_revoked_token(client, realm):
    token = admin_token(realm, rm.REALM_ADMIN)
    RefreshToken.objects.update(revoked=timezone.now())  # its grant revoked
    assert call(client, "GET", url(realm, "users"), token).status_code == 401


def test_it_takes_the_token_from_the_header_only(client, realm):
    token = admin_token(realm, rm.REALM_ADMIN)
    response = client.get(url(realm, "users"), {"access_token": token})
    assert response.status_code == 401
    malformed = client.get(url(realm, "users"), HTTP_AUTHORIZATION="Bearer a b")
    assert malformed.status_code == 400
    assert malformed["WWW-Authenticate"].startswith('Bearer realm="admin", error="invalid_request"')


def test_it_accepts_a_service_account_token(client, realm):
    machine = make_machine_client(realm, "automation")
    machine.service_account.roles.add(
        *realm.roles.filter(client__client_id=rm.CLIENT_ID, name=rm.VIEW_CLIENTS)
    )
    token = service_token(client, realm, "automation")
    assert call(client, "GET", url(realm, "clients"), token).status_code == 200


def test_it_wants_json(client, realm):
    token = admin_token(realm, rm.MANAGE_REALM)
    response = client.post(
        url(realm, "roles"),
        "name=reader",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 415
    broken = client.post(
        url(realm, "roles"),
        "{",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert broken.status_code == 400 and broken.json()["error"] == "invalid_request"


def test_it_limits_the_body(client, realm):
    token = admin_token(realm, rm.MANAGE_REALM)
    body = {"name": "big", "description": "x" * (http.MAX_BODY + 1)}
    assert call(client, "POST", url(realm, "roles"), token, body).status_code == 413


def test_it_answers_405_with_allow(client, realm):
    token = admin_token(realm, rm.REALM_ADMIN)
    make_client(realm, "web")
    response = call(client, "DELETE", url(realm, "clients", "web", "client-secret"), token)
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_it_is_not_fooled_by_a_console_session(client, realm, admin_user):
    client.force_login(admin_user)
    assert client.get(url(realm, "users")).status_code == 401
    assert Client.objects.filter(client_id=rm.CLIENT_ID, realm=realm).exists()


def test_it_answers_400_not_500_for_odd_input(client, realm):
    token = admin_token(realm, rm.REALM_ADMIN)
    deep = client.post(
        url(realm, "roles"),
        "[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert deep.status_code == 400
    assert call(client, "GET", url(realm, "groups", "9" * 40), token).status_code == 404
    long_name = call(
        client,
        "POST",
        url(realm, "clients"),
        token,
        {"clientId": "x" * 300, "publicClient": True, "redirectUris": ["https://x.example/cb"]},
    )
    assert long_name.status_code == 400 and list(long_name.json()["fields"]) == ["clientId"]
    not_bytes = client.post(
        url(realm, "roles"),
        b"\xff\xfe",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert not_bytes.status_code == 400
