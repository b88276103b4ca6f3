"""The device authorization grant (RFC 8628): a device gets codes, the signed-in user types the
user code and decides, the device polls, no faster than it is told, and gets tokens once."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from authserver.models import DeviceAuthorization
from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    login,
    make_web_client,
    post_form,
    refresh,
    verify,
)

pytestmark = pytest.mark.django_db

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ENABLED = {"oauth2.device.authorization.grant.enabled": "true"}


@pytest.fixture
def realm(db):
    realm = make_realm("acme")
    make_web_client(realm, "tv", scopes=("openid", "profile"), attributes=ENABLED)
    make_user(realm, "alice")
    return realm


def codes(http, realm, client_id="tv", **form):
    return post_form(
        http,
        endpoint(realm, "auth/device"),
        {"scope": "openid", **form},
        HTTP_AUTHORIZATION=basic(client_id, SECRET),
    )


def poll(http, realm, device_code, client_id="tv"):
    DeviceAuthorization.objects.update(last_poll=None)  # as if the interval had passed
    return poll_now(http, realm, device_code, client_id)


def poll_now(http, realm, device_code, client_id="tv"):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": GRANT, "device_code": device_code},
        HTTP_AUTHORIZATION=basic(client_id, SECRET),
    )


def decide(http, realm, user_code, decision="allow"):
    login(http, realm, "alice")
    page = http.post(f"/realms/{realm.name}/device", {"user_code": user_code})
    assert page.status_code == 200, page.content
    return http.post(f"/realms/{realm.name}/device", {"user_code": user_code, "decision": decision})


def error_of(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["error"]


def test_it_gives_codes_then_tokens_once_the_user_allows(client, realm):
    answer = codes(client, realm)
    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"] == "no-store"
    body = answer.json()
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", body["user_code"])
    assert body["verification_uri"] == f"{realm.issuer}/device"
    assert body["verification_uri_complete"].endswith(f"?user_code={body['user_code']}")
    assert (body["expires_in"], body["interval"]) == (600, 5)
    stored = DeviceAuthorization.objects.get()
    assert body["device_code"] not in stored.device_code_hash

    assert error_of(poll(client, realm, body["device_code"])) == "authorization_pending"
    done = decide(client, realm, body["user_code"].lower().replace("-", " "))
    assert "Your device is connected" in done.content.decode()

    tokens = poll(client, realm, body["device_code"])
    assert tokens.status_code == 200, tokens.content
    issued = tokens.json()
    access = verify(client, realm, issued["access_token"])
    alice = User.objects.get(realm=realm, username="alice")
    assert (access["azp"], access["sub"]) == ("tv", str(alice.subject))
    assert verify(client, realm, issued["id_token"])["sid"] == issued["session_state"]
    assert refresh(client, realm, issued["refresh_token"], client_id="tv").status_code == 200
    # Spent: the same device code gets nothing more.
    assert error_of(poll(client, realm, body["device_code"])) == "invalid_grant"


def test_it_tells_a_device_polling_too_fast_to_slow_down(client, realm):
    device_code = codes(client, realm).json()["device_code"]
    assert error_of(poll_now(client, realm, device_code)) == "authorization_pending"
    assert error_of(poll_now(client, realm, device_code)) == "slow_down"
    assert DeviceAuthorization.objects.get().interval == 10


def test_it_tells_the_device_the_user_said_no(client, realm):
    body = codes(client, realm).json()
    done = decide(client, realm, body["user_code"], decision="deny")
    assert "Access denied" in done.content.decode()
    assert error_of(poll(client, realm, body["device_code"])) == "access_denied"
    assert error_of(poll(client, realm, body["device_code"])) == "invalid_grant"


def test_it_tells_the_device_its_code_expired(client, realm):
    device_code = codes(client, realm).json()["device_code"]
    DeviceAuthorization.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert error_of(poll(client, realm, device_code)) == "expired_token"


def test_it_refuses_a_client_that_has_not_turned_it_on(client, realm):
    make_web_client(realm, "web")
    assert error_of(codes(client, realm, client_id="web")) == "unauthorized_client"
    assert error_of(poll(client, realm, "whatever", client_id="web")) == "unauthorized_client"


def test_it_gives_another_clients_device_code_nothing(client, realm):
    make_web_client(realm, "other-tv", attributes=ENABLED)
    body = codes(client, realm).json()
    decide(client, realm, body["user_code"])
    assert error_of(poll(client, realm, body["device_code"], client_id="other-tv")) == (
        "invalid_grant"
    )
    assert poll(client, realm, body["device_code"]).status_code == 200


def test_it_refuses_a_scope_the_client_may_not_have(client, realm):
    assert error_of(codes(client, realm, scope="openid admin")) == "invalid_scope"
    assert not DeviceAuthorization.objects.exists()


def test_a_public_client_names_itself(client, realm):
    make_web_client(realm, "cli", public=True, attributes=ENABLED)
    answer = post_form(client, endpoint(realm, "auth/device"), {"client_id": "cli"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    decide(client, realm, body["user_code"])
    DeviceAuthorization.objects.update(last_poll=None)
    tokens = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": GRANT, "device_code": body["device_code"], "client_id": "cli"},
    )
    assert tokens.status_code == 200, tokens.content


def test_the_page_asks_to_sign_in_first_and_keeps_the_code(client, realm):
    response = client.get(f"/realms/{realm.name}/device?user_code=ABCD-EFGH")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/realms/{realm.name}/login?next=")
    assert "ABCD-EFGH" in response["Location"]


def test_the_page_refuses_an_unknown_code_and_limits_guessing(client, realm):
    login(client, realm, "alice")
    wrong = client.post(f"/realms/{realm.name}/device", {"user_code": "BBBB-BBBB"})
    assert wrong.status_code == 400
    assert "unknown or has expired" in wrong.content.decode()
    statuses = [
        client.post(f"/realms/{realm.name}/device", {"user_code": "BBBB-BBBB"}).status_code
        for _ in range(15)
    ]
    assert 429 in statuses


def test_a_second_answer_changes_nothing(client, realm):
    body = codes(client, realm).json()
    decide(client, realm, body["user_code"], decision="deny")
    again = client.post(
        f"/realms/{realm.name}/device", {"user_code": body["user_code"], "decision": "allow"}
    )
    assert again.status_code == 400
    assert error_of(poll(client, realm, body["device_code"])) == "access_denied"


def test_logout_ends_what_the_device_got(client, realm):
    body = codes(client, realm).json()
    decide(client, realm, body["user_code"])
    issued = poll(client, realm, body["device_code"]).json()
    logout = post_form(
        client,
        endpoint(realm, "logout"),
        {"client_id": "tv", "client_secret": SECRET, "refresh_token": issued["refresh_token"]},
    )
    assert logout.status_code == 204
    assert refresh(client, realm, issued["refresh_token"], client_id="tv").status_code == 400


def test_discovery_names_the_endpoint_and_the_grant(client, realm):
    document = client.get(f"/realms/{realm.name}/.well-known/openid-configuration").json()
    assert document["device_authorization_endpoint"] == (
        f"{realm.issuer}/protocol/openid-connect/auth/device"
    )
    assert GRANT in document["grant_types_supported"]
