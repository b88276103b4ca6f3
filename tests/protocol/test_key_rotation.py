import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from jwcrypto import jws
from jwcrypto.common import base64url_decode, base64url_encode

from accounts.models import ClientScope
from authserver.keys import rotation
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    make_machine_client,
    make_web_client,
    post_form,
    refresh,
    refresh_claims,
    tokens_for,
    verify,
)
from tests.protocol.issued import service_token

pytestmark = pytest.mark.django_db


def kid_of(token: str) -> str:
    envelope = jws.JWS()
    envelope.deserialize(token)
    return envelope.jose_header["kid"]


def published(http, realm) -> set[str]:
    return {key["kid"] for key in http.get(endpoint(realm, "certs")).json()["keys"]}


def test_it_keeps_verifying_old_tokens_after_rotate_keys(client):
    realm = make_realm()
    make_machine_client(realm)
    before = service_token(client, realm)
    old_kid = kid_of(before)

    call_command("rotate_keys", realm.name, stdout=io.StringIO())

    after = service_token(client, realm)
    assert kid_of(after) != old_kid
    assert verify(client, realm, before)["iss"] == realm.issuer
    assert verify(client, realm, after)["iss"] == realm.issuer
    assert {old_kid, kid_of(after)} <= published(client, realm)


def test_it_unpublishes_the_old_key_only_after_its_tokens_expired(client):
    realm = make_realm()
    make_machine_client(realm)
    old_kid = kid_of(service_token(client, realm))
    rotation.rotate(realm)
    lifetime = rotation.max_token_lifetime(realm)

    with time_machine.travel(timezone.now() + lifetime - timedelta(seconds=5)):
        assert old_kid in published(client, realm)
    with time_machine.travel(timezone.now() + lifetime + timedelta(minutes=5)):
        assert old_kid not in published(client, realm)


def test_it_publishes_a_staged_key_before_signing_with_it(client):
    realm = make_realm()
    make_machine_client(realm)
    signing_kid = kid_of(service_token(client, realm))
    staged = rotation.stage(realm)
    assert staged.kid in published(client, realm)
    assert kid_of(service_token(client, realm)) == signing_kid


def test_it_refreshes_an_offline_token_after_its_signing_key_is_retired_and_purged(client):
    realm = make_realm()
    user = make_user(realm)
    app = make_web_client(realm, scopes=("profile",))
    app.optional_client_scopes.add(ClientScope.objects.get(realm=realm, name="offline_access"))
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        issued = tokens_for(client, realm, user, scope="openid offline_access")
        offline = issued["refresh_token"]
        old_kid = kid_of(issued["access_token"])
        call_command("rotate_keys", realm.name, stdout=io.StringIO())
        # A week later: the retired key's tokens of a session have all expired, and it goes.
        traveller.shift(timedelta(days=7))
        call_command("rotate_keys", purge=True, stdout=io.StringIO())
        assert old_kid not in published(client, realm)

        introspected = post_form(
            client,
            endpoint(realm, "token/introspect"),
            {"token": offline, "token_type_hint": "refresh_token"},
            HTTP_AUTHORIZATION=basic("app", SECRET),
        ).json()
        response = refresh(client, realm, offline)

    assert introspected["active"] is True
    assert introspected["typ"] == "Offline"
    assert response.status_code == 200, response.content
    renewed = response.json()
    assert kid_of(renewed["access_token"]) != old_kid
    # What it issues now verifies against the JWKS as published today.
    assert refresh_claims(renewed["refresh_token"])["typ"] == "Offline"
    assert verify(client, realm, renewed["access_token"])["sub"] == str(user.subject)


def test_it_refuses_a_refresh_token_it_has_no_record_of_even_with_a_known_kid(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, scopes=("offline_access",))
    offline = tokens_for(client, realm, user, scope="openid offline_access")["refresh_token"]
    header, payload, signature = offline.split(".")
    claims = json.loads(base64url_decode(payload))
    forged_payload = base64url_encode(json.dumps({**claims, "jti": "another"}))

    response = refresh(client, realm, f"{header}.{forged_payload}.{signature}")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert refresh(client, realm, offline).status_code == 200
