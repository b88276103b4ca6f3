import pytest

from accounts import sealed
from accounts.models import Event, Realm
from tests.admin.helpers import form_data
from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def _realm_data(**fields):
    return {
        "name": "acme",
        "display_name": "Acme Corp",
        "enabled": "on",
        "access_token_lifespan": 300,
        "sso_session_idle_timeout": 1800,
        "sso_session_max_lifespan": 36000,
        "default_signature_algorithm": "RS256",
        "password_policy": "length(10) and digits(1)",
        "failure_factor": 30,
        "otp_policy_type": "totp",
        "otp_policy_algorithm": "HmacSHA1",
        "otp_policy_digits": 6,
        "otp_policy_period": 30,
        "otp_policy_look_ahead_window": 1,
        "otp_policy_initial_counter": 0,
        "smtp_server": "{}",
        **fields,
    }


def test_it_creates_a_realm_with_its_settings(console):
    response = console.post(
        "/admin/accounts/realm/add/", _realm_data(brute_force_protected="on", failure_factor=5)
    )
    assert response.status_code == 302
    realm = Realm.objects.get(name="acme")
    assert (realm.display_name, realm.password_policy) == ("Acme Corp", "length(10) and digits(1)")
    assert realm.brute_force_protected and realm.failure_factor == 5
    assert realm.client_scopes.filter(name="openid").exists()


def test_it_edits_the_otp_policy(console):
    response = console.post(
        "/admin/accounts/realm/add/",
        _realm_data(otp_required="on", otp_policy_algorithm="HmacSHA256", otp_policy_digits=8),
    )
    assert response.status_code == 302
    realm = Realm.objects.get(name="acme")
    assert realm.otp_required and realm.otp_policy_digits == 8
    assert realm.otp_policy_algorithm == "HmacSHA256"
    refused = console.post(
        "/admin/accounts/realm/add/", _realm_data(name="other", otp_policy_digits=7)
    )
    assert refused.status_code == 200
    assert "otp_policy_digits" in refused.context["adminform"].form.errors


def test_it_seals_the_smtp_password_and_never_shows_it(console):
    server = '{"host": "smtp.example.com", "port": "587", "password": "in-the-json"}'
    response = console.post(
        "/admin/accounts/realm/add/",
        _realm_data(smtp_server=server, smtp_password="smtp-Secret-1", verify_email="on"),
    )
    assert response.status_code == 302
    realm = Realm.objects.get(name="acme")
    assert realm.verify_email and realm.smtp_server == {"host": "smtp.example.com", "port": "587"}
    assert sealed.unseal(realm.smtp_password_sealed) == "smtp-Secret-1"
    page = console.get(f"/admin/accounts/realm/{realm.pk}/change/").content.decode()
    assert "smtp-Secret-1" not in page and realm.smtp_password_sealed not in page
    event = Event.objects.get(resource_type="REALM", type="CREATE")
    assert realm.smtp_password_sealed not in str(event.after)


@pytest.mark.parametrize("policy", ["length(ten)", "noSuchPolicy(3)", "length(8) and )("])
def test_it_rejects_an_invalid_password_policy(console, policy):
    response = console.post("/admin/accounts/realm/add/", _realm_data(password_policy=policy))
    assert response.status_code == 200
    assert "password_policy" in response.context["adminform"].form.errors
    assert not Realm.objects.filter(name="acme").exists()


def test_it_keeps_the_realm_name_after_creation(console):
    realm = make_realm("acme")
    url = f"/admin/accounts/realm/{realm.pk}/change/"
    response = console.get(url)
    assert 'name="name"' not in response.content.decode()
    data = form_data(response, display_name="Renamed")
    data["name"] = "hijacked"
    assert console.post(url, data).status_code == 302
    realm.refresh_from_db()
    assert (realm.name, realm.display_name) == ("acme", "Renamed")


def test_it_refuses_to_delete_or_disable_the_master_realm(console, root):
    master = root.realm
    assert console.get(f"/admin/accounts/realm/{master.pk}/delete/").status_code == 403
    url = f"/admin/accounts/realm/{master.pk}/change/"
    response = console.post(url, form_data(console.get(url), enabled=False))
    assert "enabled" in response.context["adminform"].form.errors
    master.refresh_from_db()
    assert master.enabled


def test_it_offers_no_bulk_delete_of_realms(console):
    make_realm("acme")
    assert "delete_selected" not in console.get("/admin/accounts/realm/").content.decode()


def test_it_deletes_another_realm_on_its_own_page(console):
    realm = make_realm("acme")
    response = console.post(f"/admin/accounts/realm/{realm.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Realm.objects.filter(name="acme").exists()


FAPI_POLICIES = (
    '{"policies": [{"name": "fapi", "enabled": true, "conditions": [{"condition": "any-client"}],'
    ' "profiles": ["fapi-2-security-profile"]}]}'
)


def test_it_stores_client_policies_it_can_apply(console):
    response = console.post(
        "/admin/accounts/realm/add/",
        _realm_data(default_signature_algorithm="ES256", client_policies=FAPI_POLICIES),
    )
    assert response.status_code == 302
    realm = Realm.objects.get(name="acme")
    assert realm.client_policies["policies"][0]["profiles"] == ["fapi-2-security-profile"]
    assert realm.client_profiles == {"profiles": []}


def test_it_refuses_fapi_policies_in_a_realm_signing_with_rs256(console):
    refused = console.post("/admin/accounts/realm/add/", _realm_data(client_policies=FAPI_POLICIES))
    assert refused.status_code == 200
    assert "ES256" in str(refused.context["adminform"].form.errors["client_policies"])
    assert not Realm.objects.filter(name="acme").exists()
