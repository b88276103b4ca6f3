import pytest

from accounts.models import ClientScope
from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def test_it_stores_empty_protocol_mappers_as_an_empty_list(console):
    realm = make_realm("alpha")
    data = {"realm": realm.pk, "name": "orders", "protocol": "openid-connect"}
    assert console.post("/admin/accounts/clientscope/add/", data).status_code == 302
    assert ClientScope.objects.get(realm=realm, name="orders").protocol_mappers == []
    bad = console.post("/admin/accounts/clientscope/add/", {**data, "protocol_mappers": "{}"})
    assert "protocol_mappers" in bad.context["adminform"].form.errors
