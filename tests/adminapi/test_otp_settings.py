"""The admin API edits the realm's OTP policy and users' required actions; it shows whether a
user has an authenticator (``totp``), never its secret, and never sets one."""

import json

import pytest

from accounts.models import User
from authserver.adminapi import realm_management as rm
from tests.accounts.otp_helpers import enrol
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_user

pytestmark = pytest.mark.django_db

OTP_CREDENTIAL = {
    "type": "otp",
    "secretData": json.dumps({"value": "aB3dE5fG7hJ9kL1mN3pQ"}),
    "credentialData": json.dumps({"subType": "totp", "digits": 6, "period": 30}),
}


def test_the_admin_api_edits_the_policy(client, realm):
    token = admin_token(realm, rm.MANAGE_REALM)
    body = {"otpPolicyDigits": 8, "otpPolicyAlgorithm": "HmacSHA512", "otpRequired": True}
    assert call(client, "PUT", url(realm), token, body).status_code == 204
    realm.refresh_from_db()
    assert (realm.otp_policy_digits, realm.otp_policy_algorithm) == (8, "HmacSHA512")
    assert realm.otp_required
    shown = call(client, "GET", url(realm), token).json()
    assert shown["otpPolicyDigits"] == 8 and shown["otpRequired"] is True
    bad = call(client, "PUT", url(realm), token, {"otpPolicyType": "sms"})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["otpPolicyType"]


def test_the_admin_api_sets_required_actions_and_shows_totp(client, realm):
    token = admin_token(realm, rm.MANAGE_USERS)
    user = make_user(realm, "alice")
    path = url(realm, f"users/{user.subject}")
    shown = call(client, "GET", path, token).json()
    assert shown["totp"] is False and shown["requiredActions"] == []
    body = {"requiredActions": ["CONFIGURE_TOTP", "UPDATE_PASSWORD"]}
    assert call(client, "PUT", path, token, body).status_code == 204
    user.refresh_from_db()
    assert user.required_actions == ["CONFIGURE_TOTP"] and user.password_temporary
    enrol(user)
    shown = call(client, "GET", path, token).json()
    assert shown["totp"] is True
    assert shown["requiredActions"] == ["UPDATE_PASSWORD", "CONFIGURE_TOTP"]
    assert "credentials" not in shown
    assert call(client, "PUT", path, token, {"requiredActions": []}).status_code == 204
    user.refresh_from_db()
    assert user.required_actions == [] and not user.password_temporary
    # An authenticator's secret is the user's to enrol, never the administrator's to set.
    refused = call(client, "PUT", path, token, {"credentials": [OTP_CREDENTIAL]})
    assert refused.status_code == 400
    assert User.objects.get(pk=user.pk).otpdevice_set.count() == 1
