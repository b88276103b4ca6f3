"""Schema-driven fuzzing of the admin API: requests generated from /admin/openapi.json, valid
and invalid, by a realm administrator, against the deployed WSGI application. None may answer
5xx. Seeded (derandomized) and bounded, so that a run is repeatable and quick."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from authserver.adminapi import openapi
from authserver.adminapi import realm_management as rm
from authserver.wsgi import application
from tests.adminapi.helpers import admin_token
from tests.factories import make_client, make_group, make_role, make_scope, make_user
from tests.wsgi import connection_kept

pytestmark = pytest.mark.django_db

# The test settings allow this host (ALLOWED_HOSTS), as Django's test client uses it.
BASE_URL = "http://testserver"
SCHEMA = schemathesis.openapi.from_dict(openapi.document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Examples per operation (36 of them) and mode: under a minute in all on two cores.
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 5, schemathesis.GenerationMode.NEGATIVE: 3}


def bounded(mode):
    return settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def existing(realm):
    """One object of each kind, so that generated requests reach them, not only 404s."""
    make_client(realm, "shop", client_type="public", redirect_uris="https://shop.test/cb")
    make_role(realm, "reader")
    make_scope(realm, "reader")
    return {
        "realm": realm.name,
        "client_id": "shop",
        "name": "reader",
        "user_id": str(make_user(realm, "alice").subject),
        "group_id": str(make_group(realm, "staff").pk),
    }


def _fixed(operation, existing: dict) -> dict:
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: value for name, value in existing.items() if name in names}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_it_never_answers_a_server_error(realm, existing, operation):
    headers = {"Authorization": f"Bearer {admin_token(realm, rm.REALM_ADMIN)}"}
    for mode, path_parameters in (
        (schemathesis.GenerationMode.POSITIVE, _fixed(operation, existing)),
        (schemathesis.GenerationMode.NEGATIVE, {"realm": realm.name}),
    ):

        @bounded(mode)
        @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
        def request(case):
            with connection_kept():
                response = case.call(base_url=BASE_URL, app=application, headers=headers)
            assert response.status_code < 500, (case.as_curl_command(), response.text[:500])

        request()
