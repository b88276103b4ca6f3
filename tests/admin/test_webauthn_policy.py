"""The realm's page edits Keycloak's two WebAuthn policies, refusing a relying party id that
cannot serve this server's origin."""

import pytest

from tests.admin.helpers import form_data
from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def test_the_console_edits_them(console):
    realm = make_realm("acme")
    page_url = f"/admin/accounts/realm/{realm.pk}/change/"
    page = console.get(page_url)
    assert 'name="webAuthnPolicyPasswordlessPasskeysEnabled"' in page.content.decode()
    refused = console.post(page_url, form_data(page, webAuthnPolicyRpId="example.org"))
    assert "webAuthnPolicyRpId" in refused.context["adminform"].form.errors
    data = form_data(
        page,
        webAuthnPolicySignatureAlgorithms=["ES256"],
        webAuthnPolicyAcceptableAaguids="CB69481E-8FF7-4039-93EC-0A2729A154A8\n",
        webAuthnPolicyPasswordlessPasskeysEnabled=True,
        webAuthnPolicyPasswordlessUserVerificationRequirement="required",
    )
    assert console.post(page_url, data).status_code == 302
    realm.refresh_from_db()
    assert realm.webauthn_policy["signatureAlgorithms"] == ["ES256"]
    assert realm.webauthn_policy["acceptableAaguids"] == ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]
    assert realm.webauthn_policy_passwordless["passkeysEnabled"] is True
    assert realm.webauthn_policy_passwordless["userVerificationRequirement"] == "required"
    # Saving again as shown changes nothing.
    again = console.get(page_url)
    assert console.post(page_url, form_data(again)).status_code == 302
    realm.refresh_from_db()
    assert realm.webauthn_policy["acceptableAaguids"] == ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]
