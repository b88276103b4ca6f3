"""Sessions: listed per realm and per client, revoked after a confirmation, tokens with them."""

import uuid

import pytest
from django.utils import timezone

from accounts.models import Event, UserSession
from authserver.models import AccessToken, RefreshToken
from tests.factories import make_client, make_realm, make_user

pytestmark = pytest.mark.django_db


def make_session(user, **fields) -> UserSession:
    now = timezone.now()
    return UserSession.objects.create(
        realm=user.realm,
        user=user,
        key_hash=uuid.uuid4().hex,
        started=now,
        last_seen=now,
        ip_address="192.0.2.7",
        **fields,
    )


def _tokens(session, client):
    access = AccessToken.objects.create(
        user=session.user,
        application=client,
        token=uuid.uuid4().hex,
        session=session,
        expires=timezone.now() + timezone.timedelta(minutes=5),
        scope="openid",
    )
    refresh = RefreshToken.objects.create(
        user=session.user,
        application=client,
        token=uuid.uuid4().hex,
        session=session,
        access_token=access,
    )
    return access, refresh


def test_it_asks_before_revoking_then_ends_the_session_and_its_tokens(console):
    realm = make_realm()
    user = make_user(realm, "alice")
    client = make_client(realm, "web")
    session = make_session(user)
    _, refresh = _tokens(session, client)
    data = {"action": "revoke_sessions", "_selected_action": [session.pk]}

    asked = console.post("/admin/accounts/usersession/", data)
    assert asked.status_code == 200
    assert "Revoke sessions?" in asked.content.decode()
    session.refresh_from_db()
    assert session.ended is None

    done = console.post("/admin/accounts/usersession/", {**data, "post": "yes"})
    assert done.status_code == 302
    session.refresh_from_db()
    refresh.refresh_from_db()
    assert session.ended is not None
    assert refresh.revoked is not None
    assert not AccessToken.objects.filter(session=session).exists()
    event = Event.objects.get(category="admin", resource_type="USER_SESSION")
    assert event.type == "ACTION" and event.after["action"] == "revoke"
    assert "key_hash" not in event.before


def test_it_lists_sessions_per_client_and_status(console):
    realm = make_realm()
    web, other = make_client(realm, "web"), make_client(realm, "other")
    alice, bob = make_user(realm, "alice"), make_user(realm, "bob")
    with_web = make_session(alice)
    _tokens(with_web, web)
    make_session(bob, ended=timezone.now())
    response = console.get("/admin/accounts/usersession/", {"client": web.pk})
    assert list(response.context["cl"].result_list) == [with_web]
    response = console.get("/admin/accounts/usersession/", {"client": other.pk})
    assert list(response.context["cl"].result_list) == []
    response = console.get("/admin/accounts/usersession/", {"status": "active"})
    assert list(response.context["cl"].result_list) == [with_web]


def test_it_shows_a_users_sessions_on_the_user_page(console):
    user = make_user(make_realm(), "alice")
    make_session(user)
    body = console.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert "1 active session(s)" in body
    assert f"/admin/accounts/usersession/?user__id__exact={user.pk}" in body
