"""Passkeys at the HTTP boundary: what is refused without a real authenticator (the browser
test, tests/e2e/test_passkeys.py, registers and signs in with Chromium's virtual one)."""

import json

import pytest
from django.http import HttpResponse
from django.test import Client as Browser
from webauthn.helpers import bytes_to_base64url

from accounts import sessions
from accounts.models import Passkey, UserSession
from tests.factories import make_realm, make_user
from tests.protocol.helpers import login

pytestmark = pytest.mark.django_db


def a_passkey(user, name="Laptop") -> Passkey:
    credential_id = bytes_to_base64url(f"credential {user.pk} {name}".encode())
    return Passkey.objects.create(
        user=user, name=name, credential_id=credential_id, public_key=b"\x00"
    )


def test_a_user_with_a_passkey_is_asked_for_it(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    a_passkey(user)
    response = login(client, realm, "alice")
    assert response["Location"] == f"/realms/{realm.name}/login/passkey"
    page = client.get(response["Location"]).content.decode()
    options = json.loads(page.split('type="application/json">')[1].split("</script>")[0])
    (allowed,) = options["allowCredentials"]
    assert allowed["id"] == user.passkeys.get().credential_id
    forged = client.post(
        response["Location"], {"credential": json.dumps({"id": allowed["id"], "rawId": "%%"})}
    )
    assert forged.status_code == 400 and "not accepted" in forged.content.decode()
    assert not UserSession.objects.exists()


def test_the_passkey_page_needs_a_pending_login(client):
    realm = make_realm()
    response = client.post(f"/realms/{realm.name}/login/passkey", {"credential": "{}"})
    assert response["Location"] == f"/realms/{realm.name}/login"


def test_adding_a_passkey_refuses_a_forged_answer(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    login(client, realm, "alice")
    assert client.get(f"/realms/{realm.name}/account/signing-in/passkey").status_code == 200
    forged = client.post(
        f"/realms/{realm.name}/account/signing-in/passkey",
        {"credential": json.dumps({"id": "x", "response": {}}), "name": "Mine"},
    )
    assert forged.status_code == 400
    assert not Passkey.objects.filter(user=user).exists()


def test_a_user_removes_only_their_own_passkey(client):
    realm = make_realm()
    alice, bob = make_user(realm, "alice"), make_user(realm, "bob")
    mine, theirs = a_passkey(alice), a_passkey(bob)
    browser = Browser()
    # Alice has a passkey: her session is made directly, as the login would end.

    response = HttpResponse()
    request = type("R", (), {"META": {}, "COOKIES": {}})()
    session = sessions.start(request, response, alice)
    browser.cookies[sessions.COOKIE_NAME] = response.cookies[sessions.COOKIE_NAME].value
    path = f"/realms/{realm.name}/account/signing-in"
    assert browser.post(path, {"action": "remove-passkey", "passkey": theirs.pk}).status_code == 400
    assert browser.post(path, {"action": "remove-passkey", "passkey": mine.pk}).status_code == 302
    assert list(Passkey.objects.all()) == [theirs]
    assert session.user == alice
