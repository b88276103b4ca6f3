import re

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from authserver import client_secrets
from authserver.models import AccessToken, Client, Grant, RefreshToken
from tests.admin.helpers import form_data
from tests.factories import make_client, make_realm, make_scope, make_user

pytestmark = pytest.mark.django_db

SECRET_MESSAGE = re.compile(r"it will not be shown again: ([A-Za-z0-9]+)")


def _new_client(realm, **fields):
    return {
        "realm": realm.pk,
        "client_id": "shop",
        "name": "The shop",
        "enabled": "on",
        "client_type": "confidential",
        "standard_flow_enabled": "on",
        "pkce_method": "S256",
        "redirect_uris": "https://shop.example/callback\nhttps://shop.example/other",
        "attributes": "{}",
        **fields,
    }


def test_it_shows_a_new_confidential_clients_secret_once(console):
    realm = make_realm()
    response = console.post("/admin/authserver/client/add/", _new_client(realm), follow=True)
    assert response.status_code == 200
    shown = SECRET_MESSAGE.findall(response.content.decode())
    assert len(shown) == 1
    secret = shown[0]
    assert len(secret) >= 32
    # The console takes no secret typed in: the one it makes is as strong as a secret must be.
    assert client_secrets.weakness(secret) is None
    client = Client.objects.get(realm=realm, client_id="shop")
    assert client.client_secret != secret
    assert client.client_secret.startswith("authserver_sha256$")
    assert check_password(secret, client.client_secret)
    assert client.redirect_uris == "https://shop.example/callback https://shop.example/other"
    assert client.authorization_grant_type == Client.GRANT_AUTHORIZATION_CODE

    for url in ["/admin/authserver/client/", f"/admin/authserver/client/{client.pk}/change/"]:
        body = console.get(url).content.decode()
        assert secret not in body
        assert client.client_secret not in body
        assert "will not be shown again" not in body


def test_it_creates_a_public_client_without_a_secret(console):
    realm = make_realm()
    response = console.post(
        "/admin/authserver/client/add/", _new_client(realm, client_type="public"), follow=True
    )
    assert "will not be shown again" not in response.content.decode()
    assert Client.objects.get(realm=realm, client_id="shop").client_secret == ""


def test_it_creates_a_service_account_client_with_its_own_account(console):
    realm = make_realm()
    bystander = make_user(realm, "worker")
    # A service-account user is made for its client: one named in the post is not taken.
    data = _new_client(
        realm, service_accounts_enabled="on", service_account=bystander.pk, redirect_uris=""
    )
    data.pop("standard_flow_enabled")
    assert console.post("/admin/authserver/client/add/", data).status_code == 302
    client = Client.objects.get(realm=realm, client_id="shop")
    assert client.service_account.username == "service-account-shop"
    assert client.authorization_grant_type == Client.GRANT_CLIENT_CREDENTIALS


def test_it_refuses_service_accounts_for_a_public_client(console):
    realm = make_realm()
    response = console.post(
        "/admin/authserver/client/add/",
        _new_client(realm, client_type="public", service_accounts_enabled="on"),
    )
    assert "service_accounts_enabled" in response.context["adminform"].form.errors


@pytest.mark.parametrize(
    "uri",
    [
        "/callback",
        "shop.example/callback",
        "ftp://shop.example/callback",
        "https://shop.example/callback#done",
        "https:///callback",
    ],
)
def test_it_rejects_redirect_uris_that_are_not_absolute_http_without_fragment(console, uri):
    realm = make_realm()
    response = console.post("/admin/authserver/client/add/", _new_client(realm, redirect_uris=uri))
    assert response.status_code == 200
    assert "redirect_uris" in response.context["adminform"].form.errors
    assert not Client.objects.filter(realm=realm, client_id="shop").exists()


def test_it_rejects_a_bad_post_logout_redirect_uri_and_web_origin(console):
    realm = make_realm()
    response = console.post(
        "/admin/authserver/client/add/",
        _new_client(
            realm,
            post_logout_redirect_uris="https://shop.example/#bye",
            allowed_origins="https://shop.example/path",
        ),
    )
    errors = response.context["adminform"].form.errors
    assert "post_logout_redirect_uris" in errors and "allowed_origins" in errors


def test_it_requires_a_redirect_uri_for_the_standard_flow(console):
    realm = make_realm()
    response = console.post("/admin/authserver/client/add/", _new_client(realm, redirect_uris=""))
    assert "redirect_uris" in response.context["adminform"].form.errors


def test_it_refuses_a_scope_both_default_and_optional(console):
    realm = make_realm()
    scope = make_scope(realm, "orders")
    response = console.post(
        "/admin/authserver/client/add/",
        _new_client(realm, default_client_scopes=[scope.pk], optional_client_scopes=[scope.pk]),
    )
    assert "optional_client_scopes" in response.context["adminform"].form.errors


def test_it_keeps_the_secret_when_a_client_is_edited(console):
    client = make_client(make_realm(), "shop")
    stored = client.client_secret
    url = f"/admin/authserver/client/{client.pk}/change/"
    response = console.post(url, form_data(console.get(url), name="Renamed"), follow=True)
    assert "will not be shown again" not in response.content.decode()
    client.refresh_from_db()
    assert (client.name, client.client_secret) == ("Renamed", stored)


def test_it_regenerates_the_secret_on_request(console):
    client = make_client(make_realm(), "shop")
    old = client.client_secret
    url = f"/admin/authserver/client/{client.pk}/change/"
    data = form_data(console.get(url), regenerate_secret=True)
    response = console.post(url, data, follow=True)
    (secret,) = SECRET_MESSAGE.findall(response.content.decode())
    assert client_secrets.weakness(secret) is None
    client.refresh_from_db()
    assert client.client_secret != old
    assert check_password(secret, client.client_secret)


def test_it_drops_the_secret_when_a_client_becomes_public(console):
    client = make_client(make_realm(), "shop")
    url = f"/admin/authserver/client/{client.pk}/change/"
    assert console.post(url, form_data(console.get(url), client_type="public")).status_code == 302
    client.refresh_from_db()
    assert client.client_secret == ""


def test_it_never_shows_a_secret_token_or_password_hash(console, root):
    realm = make_realm()
    user = make_user(realm, "alice")
    raw_secret = "s3cret-" + "x" * 40
    client = make_client(realm, "shop", secret=raw_secret)
    client.refresh_from_db()
    expires = timezone.now() + timezone.timedelta(minutes=5)
    access = AccessToken.objects.create(
        user=user, application=client, token="access-" + "a" * 40, expires=expires, scope="openid"
    )
    refresh = RefreshToken.objects.create(
        user=user, application=client, token="refresh-" + "r" * 40, access_token=access
    )
    Grant.objects.create(
        user=user,
        application=client,
        code="code-" + "c" * 40,
        expires=expires,
        redirect_uri="https://app.example/callback",
        scope="openid",
        code_challenge="x" * 43,
        code_challenge_method="S256",
    )
    from accounts.models import UserSession

    session = UserSession.objects.create(
        realm=realm,
        user=user,
        key_hash="f" * 64,
        started=timezone.now(),
        last_seen=timezone.now(),
    )
    access.refresh_from_db()
    refresh.refresh_from_db()
    forbidden = {
        raw_secret,
        client.client_secret,
        user.password,
        root.password,
        access.token,
        access.token_checksum,
        refresh.token,
        refresh.token_checksum,
        "c" * 40,
        session.key_hash,
    } - {""}
    pages = [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{user.pk}/change/",
        f"/admin/accounts/user/{root.pk}/change/",
        "/admin/accounts/usersession/",
        f"/admin/accounts/usersession/{session.pk}/change/",
        "/admin/authserver/client/",
        f"/admin/authserver/client/{client.pk}/change/",
        f"/admin/authserver/client/{client.pk}/delete/",
        f"/admin/accounts/user/{user.pk}/delete/",
        f"/admin/accounts/realm/{realm.pk}/delete/",
    ]
    for url in pages:
        response = console.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for value in forbidden:
            assert value not in body, (url, value)


def test_it_rejects_a_client_id_taken_in_the_same_realm(console):
    realm = make_realm()
    make_client(realm, "shop")
    response = console.post("/admin/authserver/client/add/", _new_client(realm))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Client.objects.filter(realm=realm, client_id="shop").count() == 1


def test_it_stores_empty_attributes_as_an_empty_object(console):
    realm = make_realm()
    response = console.post("/admin/authserver/client/add/", _new_client(realm, attributes=""))
    assert response.status_code == 302
    assert Client.objects.get(realm=realm, client_id="shop").attributes == {}


def test_it_keeps_a_pkce_method_set_elsewhere(console):
    client = make_client(make_realm(), "shop", pkce_method="plain")
    url = f"/admin/authserver/client/{client.pk}/change/"
    assert console.post(url, form_data(console.get(url), name="Renamed")).status_code == 302
    client.refresh_from_db()
    assert (client.name, client.pkce_method) == ("Renamed", "plain")


def test_it_creates_a_client_with_no_flow_and_no_redirect_uri(console):
    realm = make_realm()
    data = _new_client(realm, client_id="orders-api", redirect_uris="")
    data.pop("standard_flow_enabled")
    assert console.post("/admin/authserver/client/add/", data).status_code == 302
    client = Client.objects.get(realm=realm, client_id="orders-api")
    assert not client.standard_flow_enabled and not client.service_accounts_enabled


def test_it_warns_on_the_page_of_a_client_with_wildcard_redirect_uris(console):
    realm = make_realm()
    wild = make_client(realm, "wild", redirect_uris="https://app.example/*")
    exact = make_client(realm, "exact", redirect_uris="https://app.example/cb")
    page = console.get(f"/admin/authserver/client/{wild.pk}/change/")
    assert "use Keycloak&#x27;s wildcard" in page.content.decode()
    page = console.get(f"/admin/authserver/client/{exact.pk}/change/")
    assert "wildcard" not in page.content.decode()


def test_it_refuses_any_origin_on_a_client_that_did_not_have_it(console):
    realm = make_realm()
    response = console.post(
        "/admin/authserver/client/add/", _new_client(realm, allowed_origins="*")
    )
    assert "allowed_origins" in response.context["adminform"].form.errors
    assert not Client.objects.filter(realm=realm, client_id="shop").exists()


def test_it_keeps_and_warns_about_the_star_origin_of_an_imported_client(console):
    realm = make_realm()
    imported = make_client(realm, "spa", client_type="public", secret="", allowed_origins="*")
    page = console.get(f"/admin/authserver/client/{imported.pk}/change/")
    assert "hold Keycloak&#x27;s *" in page.content.decode()
    data = form_data(page, name="Renamed")
    response = console.post(f"/admin/authserver/client/{imported.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    imported.refresh_from_db()
    assert (imported.name, imported.allowed_origins) == ("Renamed", "*")


def test_it_turns_dpop_on_and_off_as_keycloaks_client_attribute(console):
    client = make_client(make_realm(), "shop", attributes={"other": "kept"})
    url = f"/admin/authserver/client/{client.pk}/change/"
    page = console.get(url)
    assert "Require DPoP bound tokens" in page.content.decode()

    data = form_data(page, dpop_bound_access_tokens=True, dpop_nonce_required=True)
    assert console.post(url, data).status_code == 302
    client.refresh_from_db()
    assert client.attributes == {
        "other": "kept",
        "dpop.bound.access.tokens": "true",
        "dpop.nonce.required": "true",
    }

    page = console.get(url)
    assert form_data(page)["dpop_bound_access_tokens"]
    data = form_data(page, dpop_bound_access_tokens=False, dpop_nonce_required=False)
    assert console.post(url, data).status_code == 302
    client.refresh_from_db()
    assert client.attributes == {"other": "kept"}


# --- Credentials: client certificates (RFC 8705) ---------------------------------------------
def test_it_makes_an_x509_client_with_bound_tokens(console):
    realm = make_realm()
    data = _new_client(
        realm,
        client_authenticator="client-x509",
        x509_subject_dn="CN=shop, O=Example",
        certificate_bound_tokens="on",
    )
    response = console.post("/admin/authserver/client/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    client = Client.objects.get(realm=realm, client_id="shop")
    assert client.attributes == {
        "client.authenticator.type": "client-x509",
        "x509.subjectdn": "CN=shop, O=Example",
        # Exact unless asked: the console's new clients are not Keycloak's old ones.
        "x509.allow.regex.pattern.comparison": "false",
        "tls.client.certificate.bound.access.tokens": "true",
    }
    page = console.get(f"/admin/authserver/client/{client.pk}/change/")
    form = page.context["adminform"].form
    assert form["x509_subject_dn"].value() == "CN=shop, O=Example"
    assert form["certificate_bound_tokens"].value() is True
    assert "x509.subjectdn" not in str(form["attributes"].value())


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"x509_subject_dn": "shop"}, "x509_subject_dn"),
        ({"x509_subject_dn": "(CN=shop", "x509_allow_regex": "on"}, "x509_subject_dn"),
        ({}, "x509_subject_dn"),
        ({"x509_subject_dn": "CN=shop", "x509_san_dns": "shop.example"}, "x509_san_dns"),
        ({"x509_subject_dn": "CN=shop", "client_type": "public"}, "client_authenticator"),
    ],
)
def test_it_refuses_an_x509_client_it_could_not_match(console, fields, field):
    realm = make_realm()
    data = _new_client(realm, client_authenticator="client-x509", **fields)
    response = console.post("/admin/authserver/client/add/", data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Client.objects.filter(realm=realm, client_id="shop").exists()


def test_it_leaves_an_imported_x509_clients_attributes_as_they_were(console):
    attributes = {
        "client.authenticator.type": "client-x509",
        "x509.subjectdn": "(.*?)CN=shop(.*?)",
        "login_theme": "acme",
    }
    client = make_client(make_realm(), "shop", attributes=attributes)
    url = f"/admin/authserver/client/{client.pk}/change/"
    page = console.get(url)
    assert page.context["adminform"].form["x509_allow_regex"].value() is True
    assert console.post(url, form_data(page, name="Renamed")).status_code == 302
    client.refresh_from_db()
    assert (client.name, client.attributes) == ("Renamed", attributes)


def test_it_registers_a_self_signed_certificate(console, client, mtls):
    from tests import pki

    realm = make_realm()
    cert = pki.self_signed("shop")
    data = _new_client(
        realm,
        standard_flow_enabled="",
        service_accounts_enabled="on",
        redirect_uris="",
        client_authenticator="client-self-signed-x509",
        x509_certificate=cert.pem,
    )
    response = console.post("/admin/authserver/client/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    shop = Client.objects.get(realm=realm, client_id="shop")
    assert shop.authenticator == "client-self-signed-x509"
    from tests.protocol.helpers import endpoint, post_form

    form = {"grant_type": "client_credentials", "client_id": "shop"}
    url = endpoint(realm, "token")
    assert post_form(client, url, form, **cert.forwarded).status_code == 200
    assert post_form(client, url, form, **pki.self_signed("shop").forwarded).status_code == 401
    page = console.get(f"/admin/authserver/client/{shop.pk}/change/")
    assert page.context["adminform"].form["x509_certificate"].value() == cert.pem


def test_it_refuses_a_certificate_that_is_no_pem(console):
    realm = make_realm()
    data = _new_client(
        realm, client_authenticator="client-self-signed-x509", x509_certificate="garbage"
    )
    response = console.post("/admin/authserver/client/add/", data)
    assert "x509_certificate" in response.context["adminform"].form.errors


def test_it_edits_front_and_back_channel_logout_in_the_logout_settings(console):
    client = make_client(make_realm(), "shop", attributes={"login_theme": "acme"})
    url = f"/admin/authserver/client/{client.pk}/change/"
    page = console.get(url)
    assert "Logout settings" in page.content.decode()
    data = form_data(
        page,
        frontchannel_logout=True,
        frontchannel_logout_url="https://shop.example/frontchannel-logout",
        frontchannel_logout_session_required=False,
        backchannel_logout_url="https://shop.example/backchannel-logout",
    )

    assert console.post(url, data).status_code == 302

    client.refresh_from_db()
    assert client.attributes == {
        "login_theme": "acme",
        "frontchannel.logout": "true",
        "frontchannel.logout.url": "https://shop.example/frontchannel-logout",
        "frontchannel.logout.session.required": "false",
        "backchannel.logout.url": "https://shop.example/backchannel-logout",
    }
    again = console.get(url).context["adminform"].form
    assert again["attributes"].value() == '{"login_theme": "acme"}'
    assert again["frontchannel_logout"].value() is True
    assert again["frontchannel_logout_session_required"].value() is False
    assert again["backchannel_logout_session_required"].value() is True


def test_it_keeps_the_logout_settings_when_other_fields_change(console):
    logout = {
        "frontchannel.logout": "true",
        "frontchannel.logout.url": "https://shop.example/fc",
        "backchannel.logout.url": "https://shop.example/bc",
        "backchannel.logout.session.required": "true",
    }
    client = make_client(make_realm(), "shop", attributes=logout)
    url = f"/admin/authserver/client/{client.pk}/change/"

    assert console.post(url, form_data(console.get(url), name="Renamed")).status_code == 302

    client.refresh_from_db()
    assert (client.name, client.attributes) == ("Renamed", logout)


@pytest.mark.parametrize(
    "field", ["frontchannel_logout_url", "backchannel_logout_url"], ids=["front", "back"]
)
def test_it_refuses_a_logout_url_that_is_no_absolute_http_url(console, field):
    client = make_client(make_realm(), "shop")
    url = f"/admin/authserver/client/{client.pk}/change/"
    data = form_data(console.get(url), **{field: "javascript:alert(1)"})

    response = console.post(url, data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    client.refresh_from_db()
    assert client.attributes == {}
