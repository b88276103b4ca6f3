"""Keycloak's first/max/search on every list, so that a client that pages terminates."""

import pytest

from authserver.adminapi import realm_management as rm
from tests.adminapi.helpers import admin_token, call, url
from tests.factories import make_client, make_group, make_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(realm):
    return admin_token(realm, rm.REALM_ADMIN)


def _names(response, key="name") -> list[str]:
    assert response.status_code == 200, response.content
    return [each[key] for each in response.json()]


def _all_pages(client, path, token, size, key="name") -> list[str]:
    """What a client paging with ``first``/``max`` collects until a short page (or gives up)."""
    found = []
    for first in range(0, 50 * size, size):
        batch = _names(call(client, "GET", f"{path}?first={first}&max={size}", token), key)
        found += batch
        if len(batch) < size:
            return found
    raise AssertionError("the pages never ended")


def test_it_pages_realm_roles(client, realm, boss):
    for name in ("a", "b", "c", "d", "e"):
        make_role(realm, name)
    path = url(realm, "roles")
    assert _names(call(client, "GET", f"{path}?first=1&max=2", boss)) == ["b", "c"]
    assert _all_pages(client, path, boss, 2) == ["a", "b", "c", "d", "e"]
    assert _names(call(client, "GET", path, boss)) == ["a", "b", "c", "d", "e"]


def test_it_searches_and_pages_client_roles(client, realm, boss):
    shop = make_client(realm, "shop")
    for name in ("buyer", "seller", "buyer-admin"):
        make_role(realm, name, client=shop)
    path = url(realm, "clients", "shop", "roles")
    assert _names(call(client, "GET", f"{path}?search=buy", boss)) == ["buyer", "buyer-admin"]
    assert _all_pages(client, path, boss, 2) == ["buyer", "buyer-admin", "seller"]


def test_it_pages_and_searches_groups(client, realm, boss):
    for name in ("a", "b", "c"):
        make_group(realm, name)
    make_group(realm, "night", parent=make_group(realm, "staff"))
    path = url(realm, "groups")
    assert _all_pages(client, path, boss, 2) == ["a", "b", "c", "staff"]
    assert _names(call(client, "GET", f"{path}?search=nig", boss)) == ["staff"]


def test_it_refuses_a_bad_paging_value(client, realm, boss):
    answer = call(client, "GET", url(realm, "roles") + "?max=x", boss)
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"max": "expected a number"}


def test_it_takes_max_minus_one_as_the_default_page(client, realm, boss):
    for name in ("a", "b", "c"):
        make_role(realm, name)
    assert _names(call(client, "GET", url(realm, "roles") + "?max=-1", boss)) == ["a", "b", "c"]
    assert call(client, "GET", url(realm, "users") + "?max=-1", boss).status_code == 200


def test_it_searches_clients_by_a_part_of_their_client_id(client, realm, boss):
    make_client(realm, "shop-web")
    make_client(realm, "shop-app")
    make_client(realm, "reports")
    path = url(realm, "clients") + "?clientId=shop&search=true&first=0&max=1"
    assert _names(call(client, "GET", path, boss), "clientId") == ["shop-app"]
    exact = url(realm, "clients") + "?clientId=shop"
    assert _names(call(client, "GET", exact, boss), "clientId") == []
