import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from jwcrypto import jws

from authserver.keys import rotation
from tests.factories import make_realm
from tests.protocol.helpers import endpoint, make_machine_client, verify
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
