"""The Keys page: public facts of each key, never the private half; rotation asks first."""

import pytest

from accounts.models import Event
from authserver.keys import rotation
from authserver.keys.models import SigningKey
from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def test_it_lists_keys_without_private_material(console):
    realm = make_realm("shop")
    key = rotation.rotate(realm)
    response = console.get("/admin/authserver/signingkey/", {"realm__id__exact": realm.pk})
    body = response.content.decode()
    assert key.kid in body and "RS256" in body and "active" in body.lower()
    assert key.private_jwk_encrypted[:40] not in body
    page = console.get(f"/admin/authserver/signingkey/{key.pk}/change/").content.decode()
    assert key.kid in page
    assert key.private_jwk_encrypted[:40] not in page
    assert '"d"' not in page and "private" not in page.lower().replace("private jwk", "")
    assert console.get("/admin/authserver/signingkey/add/").status_code == 403


def test_it_rotates_a_realms_keys_after_asking(console):
    realm = make_realm("shop")
    old = rotation.rotate(realm)
    data = {"action": "rotate_signing_keys", "_selected_action": [realm.pk]}
    asked = console.post("/admin/accounts/realm/", data)
    assert asked.status_code == 200
    assert "Rotate signing keys?" in asked.content.decode()
    assert SigningKey.objects.get(pk=old.pk).state == SigningKey.State.ACTIVE

    assert console.post("/admin/accounts/realm/", {**data, "post": "yes"}).status_code == 302
    old.refresh_from_db()
    assert old.state == SigningKey.State.RETIRED
    new = SigningKey.objects.get(realm=realm, state=SigningKey.State.ACTIVE)
    assert new.kid != old.kid
    event = Event.objects.get(category="admin", resource_type="REALM_KEY")
    assert event.after["kid"] == new.kid and event.after["action"] == "rotate"
    assert "private_jwk_encrypted" not in event.after


def test_it_rotates_from_the_keys_page(console):
    realm = make_realm("shop")
    old = rotation.rotate(realm)
    data = {"action": "rotate_realms", "_selected_action": [old.pk], "post": "yes"}
    assert console.post("/admin/authserver/signingkey/", data).status_code == 302
    assert SigningKey.objects.get(realm=realm, state="active").pk != old.pk
