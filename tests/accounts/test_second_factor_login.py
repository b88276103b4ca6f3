"""The login after the password: the one-time code, CONFIGURE_TOTP enrolment, recovery codes,
the other required actions, lockout, and what the ID token says about it (amr, acr)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from accounts import otp, sessions
from accounts.models import OTPDevice, User, UserSession
from tests.accounts.otp_helpers import enrol, secret_on_page, totp_code
from tests.factories import PASSWORD, make_realm, make_user
from tests.protocol.helpers import (
    authorize_params,
    authorize_url,
    exchange_code,
    login,
    make_web_client,
    redirect_params,
    verify,
)

pytestmark = pytest.mark.django_db


def page(realm, name):
    return f"/realms/{realm.name}/login/{name}"


def start(http, realm, username="alice"):
    return login(http, realm, username, next_url=f"/realms/{realm.name}/x")


def test_it_asks_a_user_with_an_authenticator_for_a_code(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    _, secret = enrol(user)
    response = start(client, realm)
    assert response.status_code == 302 and response["Location"] == page(realm, "otp")
    assert sessions.COOKIE_NAME not in response.cookies
    assert not UserSession.objects.exists()
    form = client.get(response["Location"])
    assert 'autocomplete="one-time-code"' in form.content.decode()

    wrong = client.post(page(realm, "otp"), {"otp": "000000"})
    assert wrong.status_code == 200 and "Invalid one-time code." in wrong.content.decode()
    done = client.post(page(realm, "otp"), {"otp": totp_code(secret)})
    assert done.status_code == 302 and done["Location"] == f"/realms/{realm.name}/x"
    assert sessions.COOKIE_NAME in done.cookies
    assert UserSession.objects.get().amr == ["pwd", "otp"]


def test_it_keeps_a_pending_login_under_a_session_key_of_its_own(client):
    # Session fixation: a key the browser held before the password was right (planted by
    # someone else, say) never carries the login's state.
    realm = make_realm()
    _, secret = enrol(make_user(realm, "alice"))
    planted = SessionStore()
    planted.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key

    response = start(client, realm)

    assert response.status_code == 302 and response["Location"] == page(realm, "otp")
    moved_to = response.cookies[settings.SESSION_COOKIE_NAME].value
    assert moved_to != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    done = client.post(page(realm, "otp"), {"otp": totp_code(secret)})
    assert done.status_code == 302 and sessions.COOKIE_NAME in done.cookies
    # The login is over, and its Django session with it.
    assert not Session.objects.exists()


def test_it_refuses_a_code_already_used(client):
    realm = make_realm()
    _, secret = enrol(make_user(realm, "alice"))
    code = totp_code(secret)
    start(client, realm)
    assert client.post(page(realm, "otp"), {"otp": code}).status_code == 302
    client.cookies.clear()
    start(client, realm)
    again = client.post(page(realm, "otp"), {"otp": code})
    assert again.status_code == 200 and "Invalid one-time code." in again.content.decode()


def test_it_takes_a_recovery_code_once(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    enrol(user)
    codes = otp.new_recovery_codes(user)
    start(client, realm)
    assert client.post(page(realm, "otp"), {"otp": codes[3]}).status_code == 302
    client.cookies.clear()
    start(client, realm)
    assert client.post(page(realm, "otp"), {"otp": codes[3]}).status_code == 200


def test_it_counts_wrong_codes_towards_the_lockout(client):
    realm = make_realm(brute_force_protected=True, failure_factor=3)
    user = make_user(realm, "alice")
    _, secret = enrol(user)
    start(client, realm)
    for _ in range(3):
        client.post(page(realm, "otp"), {"otp": "000000"})
    assert User.objects.get(pk=user.pk).failed_logins == 3
    # Locked: the right password no longer gets as far as the code, nor does the right code.
    assert client.post(page(realm, "otp"), {"otp": totp_code(secret)}).status_code == 200
    client.cookies.clear()
    relogin = start(client, realm)
    assert relogin.status_code == 200 and "Invalid username or password" in relogin.content.decode()


def test_the_password_alone_does_not_reset_the_count_of_wrong_codes(client):
    realm = make_realm(brute_force_protected=True, failure_factor=5)
    user = make_user(realm, "alice")
    _, secret = enrol(user)
    start(client, realm)
    client.post(page(realm, "otp"), {"otp": "000000"})
    client.post(page(realm, "otp"), {"otp": "000001"})
    start(client, realm)
    assert User.objects.get(pk=user.pk).failed_logins == 2
    client.post(page(realm, "otp"), {"otp": totp_code(secret)})
    assert User.objects.get(pk=user.pk).failed_logins == 0


def test_it_refuses_the_code_page_without_a_pending_login(client):
    realm = make_realm()
    response = client.post(page(realm, "otp"), {"otp": "123456"})
    assert response.status_code == 302 and response["Location"] == f"/realms/{realm.name}/login"


def test_a_login_pending_in_one_realm_is_nothing_in_another(client):
    realm, other = make_realm("one"), make_realm("two")
    _, secret = enrol(make_user(realm, "alice"))
    start(client, realm)
    response = client.post(page(other, "otp"), {"otp": totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == f"/realms/{other.name}/login"


def enrol_through_the_page(client, realm, *, name="My phone"):
    form = client.get(page(realm, "configure-totp"))
    assert form.status_code == 200
    html = form.content.decode()
    assert "<svg" in html
    secret = secret_on_page(html)
    wrong = client.post(page(realm, "configure-totp"), {"totp": "000000", "userLabel": name})
    assert wrong.status_code == 400
    assert secret_on_page(wrong.content.decode()) == secret
    shown = client.post(
        page(realm, "configure-totp"), {"totp": totp_code(secret), "userLabel": name}
    )
    assert shown.status_code == 200
    codes = [line for line in shown.content.decode().split("<code>")[1:]]
    return secret, [code.split("</code>")[0] for code in codes]


def test_it_enrols_an_authenticator_as_a_required_action(client):
    realm = make_realm()
    user = make_user(realm, "alice", required_actions=["CONFIGURE_TOTP"])
    response = start(client, realm)
    assert response["Location"] == page(realm, "configure-totp")
    _, codes = enrol_through_the_page(client, realm)
    assert len(codes) == otp.RECOVERY_CODES
    done = client.post(page(realm, "continue"))
    assert done.status_code == 302 and done["Location"] == f"/realms/{realm.name}/x"
    user.refresh_from_db()
    assert user.required_actions == []
    device = OTPDevice.objects.get(user=user)
    assert device.confirmed and device.name == "My phone"
    assert UserSession.objects.get().amr == ["pwd", "otp"]
    # The next login asks for a code, and takes a recovery code.
    client.cookies.clear()
    assert start(client, realm)["Location"] == page(realm, "otp")
    assert client.post(page(realm, "otp"), {"otp": codes[0]}).status_code == 302


def test_a_realm_that_requires_otp_makes_every_user_enrol(client):
    realm = make_realm(otp_required=True)
    make_user(realm, "alice")
    assert start(client, realm)["Location"] == page(realm, "configure-totp")
    # Leaving before enrolling does not log in.
    assert client.post(page(realm, "continue"))["Location"] == page(realm, "configure-totp")
    enrol_through_the_page(client, realm)
    assert client.post(page(realm, "continue"))["Location"] == f"/realms/{realm.name}/x"


def test_it_asks_for_the_profile_and_the_terms(client):
    realm = make_realm()
    user = make_user(
        realm,
        "alice",
        email="old@example.com",
        email_verified=True,
        required_actions=["UPDATE_PROFILE", "TERMS_AND_CONDITIONS"],
    )
    assert start(client, realm)["Location"] == page(realm, "terms")
    assert client.post(page(realm, "terms"), {"accept": "yes"})["Location"] == page(
        realm, "update-profile"
    )
    bad = client.post(page(realm, "update-profile"), {"email": "nope", "firstName": "A"})
    assert bad.status_code == 400
    done = client.post(
        page(realm, "update-profile"),
        {"email": "new@example.com", "firstName": "Alice", "lastName": "Liddell"},
    )
    assert done["Location"] == f"/realms/{realm.name}/x"
    user.refresh_from_db()
    assert (user.email, user.email_verified, user.first_name) == ("new@example.com", False, "Alice")
    assert user.required_actions == []


def test_declining_the_terms_ends_the_login(client):
    realm = make_realm()
    make_user(realm, "alice", required_actions=["TERMS_AND_CONDITIONS"])
    start(client, realm)
    declined = client.post(page(realm, "terms"), {"accept": "no"})
    assert declined["Location"] == f"/realms/{realm.name}/login"
    assert not UserSession.objects.exists()
    assert client.post(page(realm, "terms"), {"accept": "yes"})["Location"] == (
        f"/realms/{realm.name}/login"
    )


def id_token_after(client, realm, *, second_factor: str | None):
    make_web_client(realm)
    response = client.get(authorize_url(realm, **authorize_params(scope="openid")))
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    response = login(client, realm, "alice", next_url=next_url)
    if second_factor is not None:
        response = client.post(page(realm, "otp"), {"otp": second_factor})
    code = redirect_params(client.get(response["Location"]))["code"]
    tokens = exchange_code(client, realm, code).json()
    return verify(client, realm, tokens["id_token"])


def test_the_id_token_says_two_factors_were_used(client):
    realm = make_realm()
    _, secret = enrol(make_user(realm, "alice"))
    claims = id_token_after(client, realm, second_factor=totp_code(secret))
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == "2"


def test_the_id_token_says_a_password_alone_was_used(client):
    realm = make_realm()
    make_user(realm, "alice", password=PASSWORD)
    claims = id_token_after(client, realm, second_factor=None)
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == "1"


def test_acr_values_asking_for_a_second_factor_steps_up_a_password_session(client):
    realm = make_realm()
    make_web_client(realm)
    _, secret = enrol(make_user(realm, "alice"))
    # A session from a password alone (as the password grant would leave).
    first = client.get(authorize_url(realm, **authorize_params(scope="openid")))
    next_url = parse_qs(urlsplit(first["Location"]).query)["next"][0]
    login(client, realm, "alice", next_url=next_url)
    client.post(page(realm, "otp"), {"otp": totp_code(secret)})
    UserSession.objects.update(amr=["pwd"])

    stepped = client.get(authorize_url(realm, **authorize_params(scope="openid", acr_values="2")))
    assert stepped.status_code == 302
    assert stepped["Location"].startswith(f"/realms/{realm.name}/login?")
    silent = client.get(
        authorize_url(realm, **authorize_params(scope="openid", acr_values="2", prompt="none"))
    )
    assert redirect_params(silent)["error"] == "login_required"


def test_a_step_up_makes_a_user_without_an_authenticator_enrol_one(client):
    realm = make_realm()
    make_web_client(realm)
    make_user(realm, "alice")
    response = client.get(
        authorize_url(realm, **authorize_params(scope="openid", acr_values="mfa"))
    )
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    response = login(client, realm, "alice", next_url=next_url)
    assert response["Location"] == page(realm, "configure-totp")
    enrol_through_the_page(client, realm)
    done = client.post(page(realm, "continue"))
    code = redirect_params(client.get(done["Location"]))["code"]
    claims = verify(client, realm, exchange_code(client, realm, code).json()["id_token"])
    assert claims["acr"] == "2" and claims["amr"] == ["pwd", "otp", "mfa"]
