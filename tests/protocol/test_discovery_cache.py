"""Each process builds a realm's public documents at most once per DOCUMENT_SECONDS; a change
saved in the process shows at once, one saved elsewhere within the window."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import ClientScope
from authserver.keys import rotation
from authserver.protocol import discovery
from tests.factories import make_realm, make_scope
from tests.protocol.helpers import endpoint

pytestmark = pytest.mark.django_db


def configuration_url(realm) -> str:
    return f"/realms/{realm.name}/.well-known/openid-configuration"


def scopes_supported(http, realm) -> list[str]:
    response = http.get(configuration_url(realm))
    assert response.status_code == 200
    return response.json()["scopes_supported"]


def document_urls(realm) -> list[str]:
    return [
        configuration_url(realm),
        f"/.well-known/oauth-authorization-server/realms/{realm.name}",
        f"/realms/{realm.name}",
        endpoint(realm, "certs"),
    ]


def test_it_serves_the_documents_again_without_a_query(client, django_assert_num_queries):
    realm = make_realm()
    first = {url: client.get(url) for url in document_urls(realm)}
    with django_assert_num_queries(0):
        for url, response in first.items():
            again = client.get(url)
            assert again.status_code == 200
            assert again.content == response.content
            assert again["ETag"] == response["ETag"]


def test_it_shows_a_new_client_scope_at_once(client):
    realm = make_realm()
    before = client.get(configuration_url(realm))
    make_scope(realm, "orders")
    after = client.get(configuration_url(realm), headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert "orders" in after.json()["scopes_supported"]
    assert after["ETag"] != before["ETag"]


def test_it_forgets_a_deleted_client_scope_at_once(client):
    realm = make_realm()
    scope = make_scope(realm, "orders")
    assert "orders" in scopes_supported(client, realm)
    scope.delete()
    assert "orders" not in scopes_supported(client, realm)


def test_it_shows_a_change_made_by_another_process_within_the_window(client):
    realm = make_realm()
    scope = make_scope(realm, "orders")
    assert "orders" in scopes_supported(client, realm)
    # update() sends no signal: as if another process had saved the change.
    ClientScope.objects.filter(pk=scope.pk).update(name="payments")
    assert "orders" in scopes_supported(client, realm)
    later = timezone.now() + timedelta(seconds=discovery.DOCUMENT_SECONDS)
    with time_machine.travel(later):
        supported = scopes_supported(client, realm)
    assert "payments" in supported and "orders" not in supported


def test_it_shows_the_new_signing_key_in_the_realm_document_at_once(client):
    realm = make_realm()
    before = client.get(f"/realms/{realm.name}").json()["public_key"]
    rotation.rotate(realm)
    assert client.get(f"/realms/{realm.name}").json()["public_key"] != before


def test_it_keeps_one_realms_documents_from_another(client):
    alice_realm, charlie_realm = make_realm(), make_realm()
    make_scope(alice_realm, "alice-only")
    assert "alice-only" in scopes_supported(client, alice_realm)
    charlie = client.get(configuration_url(charlie_realm)).json()
    assert "alice-only" not in charlie["scopes_supported"]
    assert charlie["issuer"] == charlie_realm.issuer
    assert client.get(f"/realms/{charlie_realm.name}").json()["realm"] == charlie_realm.name


def test_it_shows_a_renamed_realm_under_its_new_issuer(client):
    realm = make_realm()
    client.get(configuration_url(realm))
    realm.name = f"{realm.name}-renamed"
    realm.save()
    document = client.get(configuration_url(realm)).json()
    assert document["issuer"] == realm.issuer
    assert document["token_endpoint"].startswith(realm.issuer)


@pytest.mark.parametrize("method", ["get", "head"])
def test_it_answers_not_modified_from_the_cache(client, method):
    realm = make_realm()
    for url in document_urls(realm):
        etag = client.get(url)["ETag"]
        response = getattr(client, method)(url, headers={"If-None-Match": etag})
        assert response.status_code == 304, url
        assert response["ETag"] == etag
        assert response["Cache-Control"] == "public, max-age=300"
