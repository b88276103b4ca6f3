"""Creating a client by kind (confidential, public, service) with sensible defaults; client
roles inline; the service account and its roles."""

import re

import pytest

from accounts.models import Role
from authserver.models import Client
from tests.admin.helpers import form_data
from tests.factories import make_realm, make_role, make_user

pytestmark = pytest.mark.django_db

SECRET_MESSAGE = re.compile(r"it will not be shown again: ([A-Za-z0-9]+)")


def _add(console, realm, kind, **fields):
    data = {
        "realm": realm.pk,
        "client_id": f"{kind}-app",
        "enabled": "on",
        "kind": kind,
        "attributes": "{}",
        **fields,
    }
    return console.post("/admin/authserver/client/add/", data, follow=True)


def test_it_creates_a_confidential_client_with_default_scopes(console):
    realm = make_realm()
    response = _add(console, realm, "confidential", redirect_uris="https://app.example/cb")
    assert len(SECRET_MESSAGE.findall(response.content.decode())) == 1
    client = Client.objects.get(realm=realm, client_id="confidential-app")
    assert client.client_type == Client.CLIENT_CONFIDENTIAL and client.standard_flow_enabled
    assert client.pkce_method == "S256"
    assert set(client.default_client_scopes.values_list("name", flat=True)) == {
        "profile",
        "email",
        "roles",
    }
    assert list(client.optional_client_scopes.values_list("name", flat=True)) == ["offline_access"]


def test_it_creates_a_public_client_without_a_secret(console):
    realm = make_realm()
    response = _add(
        console,
        realm,
        "public",
        redirect_uris="https://app.example/cb",
        client_type="confidential",
        service_accounts_enabled="on",
    )
    assert "will not be shown again" not in response.content.decode()
    client = Client.objects.get(realm=realm, client_id="public-app")
    assert client.is_public and client.client_secret == "" and client.pkce_method == "S256"
    assert not client.service_accounts_enabled


def test_it_creates_a_service_client_with_its_service_account(console):
    realm = make_realm()
    response = _add(console, realm, "service")
    assert len(SECRET_MESSAGE.findall(response.content.decode())) == 1
    client = Client.objects.get(realm=realm, client_id="service-app")
    assert client.service_accounts_enabled and not client.standard_flow_enabled
    assert client.service_account.username == "service-account-service-app"
    assert client.service_account.realm == realm
    assert not client.service_account.has_usable_password()


def test_it_never_takes_over_a_user_who_has_the_service_accounts_name(console):
    realm = make_realm()
    someone = make_user(realm, "service-account-service-app")

    response = _add(console, realm, "service")

    assert "is not this client&#x27;s service account" in response.content.decode()
    assert not Client.objects.filter(realm=realm, client_id="service-app").exists()
    someone.refresh_from_db()
    assert someone.has_usable_password()


def test_it_edits_client_roles_inline_and_the_service_accounts_roles(console):
    realm = make_realm()
    _add(console, realm, "service")
    client = Client.objects.get(realm=realm, client_id="service-app")
    reader = make_role(realm, "reader")
    url = f"/admin/authserver/client/{client.pk}/change/"
    data = form_data(console.get(url), service_account_roles=[reader.pk])
    prefix = "roles"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-name": "auditor",
            f"{prefix}-0-description": "Reads the audit log",
        }
    )
    response = console.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    role = Role.objects.get(client=client, name="auditor")
    assert role.realm == realm
    assert list(client.service_account.roles.all()) == [reader]
