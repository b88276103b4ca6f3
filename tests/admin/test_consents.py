"""Revoking a consent in the console also revokes that client's tokens for the user."""

import pytest

from accounts.models import Event
from authserver.models import AccessToken, Consent, RefreshToken
from tests.admin.test_sessions import _tokens, make_session
from tests.factories import make_client, make_realm, make_user

pytestmark = pytest.mark.django_db


def test_it_revokes_a_consent_and_the_clients_tokens_after_asking(console):
    realm = make_realm()
    user = make_user(realm, "alice")
    web, other = make_client(realm, "web"), make_client(realm, "other")
    consent = Consent.objects.create(user=user, client=web, scopes="profile")
    Consent.objects.create(user=user, client=other, scopes="profile")
    session = make_session(user)
    _, refresh = _tokens(session, web)
    _, kept = _tokens(session, other)
    data = {"action": "revoke_consents", "_selected_action": [consent.pk]}

    asked = console.post("/admin/authserver/consent/", data)
    assert asked.status_code == 200 and "Revoke consents?" in asked.content.decode()
    assert Consent.objects.filter(pk=consent.pk).exists()

    assert console.post("/admin/authserver/consent/", {**data, "post": "yes"}).status_code == 302
    assert not Consent.objects.filter(pk=consent.pk).exists()
    refresh.refresh_from_db()
    kept.refresh_from_db()
    assert refresh.revoked is not None and kept.revoked is None
    assert not AccessToken.objects.filter(application=web, user=user).exists()
    assert RefreshToken.objects.filter(application=other, revoked__isnull=True).exists()
    assert Event.objects.filter(category="admin", type="DELETE", resource_type="CONSENT").exists()


def test_it_lists_a_users_consents_from_the_user_page(console):
    realm = make_realm()
    user = make_user(realm, "alice")
    Consent.objects.create(user=user, client=make_client(realm, "web"), scopes="profile email")
    body = console.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert f"/admin/authserver/consent/?user__id__exact={user.pk}" in body
    listed = console.get("/admin/authserver/consent/", {"user__id__exact": user.pk})
    assert "profile email" in listed.content.decode()
