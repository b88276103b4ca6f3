"""A client scope's audience is one field, kept as the scope's oidc-audience-mapper."""

import pytest

from accounts.models import ClientScope
from tests.admin.helpers import form_data
from tests.factories import make_realm, make_scope

pytestmark = pytest.mark.django_db


def test_it_edits_the_audience_mapper_as_a_field(console):
    scope = make_scope(make_realm(), "orders:read", audience="orders")
    url = f"/admin/accounts/clientscope/{scope.pk}/change/"
    page = console.get(url)
    assert page.context["adminform"].form["audience"].value() == "orders"
    assert "aud: orders" in page.content.decode()
    assert console.post(url, form_data(page, audience="payments")).status_code == 302
    scope.refresh_from_db()
    assert scope.audiences == ["payments"]
    assert (
        sum(m["protocolMapper"] == ClientScope.AUDIENCE_MAPPER for m in scope.protocol_mappers) == 1
    )


def test_it_removes_the_audience_when_emptied(console):
    scope = make_scope(make_realm(), "orders:read", audience="orders")
    url = f"/admin/accounts/clientscope/{scope.pk}/change/"
    assert console.post(url, form_data(console.get(url), audience="")).status_code == 302
    scope.refresh_from_db()
    assert scope.audiences == []


def test_it_says_which_claims_a_built_in_scope_releases(console):
    realm = make_realm()
    response = console.get("/admin/accounts/clientscope/", {"realm__id__exact": realm.pk})
    assert "email_verified" in response.content.decode()
