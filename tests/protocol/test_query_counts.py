"""A bounded number of queries per token request (issue 6): each one costs the token endpoint
a database round trip and a trip through the ORM. The bounds are today's counts; a change that
needs more should say why here."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ClientScope
from accounts.sessions import cookie_name
from authserver.models import RefreshToken
from tests.factories import make_realm, make_role, make_user
from tests.protocol.helpers import (
    SECRET,
    authorize_and_get_code,
    basic,
    endpoint,
    exchange_code,
    login,
    make_machine_client,
    make_web_client,
    post_form,
    refresh,
    scope_with_audience,
)

pytestmark = pytest.mark.django_db

# The realm is served from the process's cache (accounts/realms.py) and the signing key from
# the key ring (authserver/keys/store.py), so neither is read per request. The bounds count
# the transaction's BEGIN and COMMIT (a savepoint each under the test's transaction).
# django_assert_max_num_queries(0) fails on any query.

# None: the client, its scopes and the service account's roles come from this process's
# directory (protocol/directory.py), and the token is not stored (protocol/stateless.py).
CLIENT_CREDENTIALS_QUERIES = 0
# The code with its user and session (read once, in the realm, to choose the OpenID grant and
# then for every check), then its claim and the family's row (protocol/families.py): on
# PostgreSQL one statement without a transaction, elsewhere two inside one. The client, its
# scopes and the user's roles come from the directory. Neither the access token nor the ID
# token is stored.
CODE_EXCHANGE_QUERIES = 2 if connection.vendor == "postgresql" else 5
# The family's row with its user and session, and its rotation: one conditional UPDATE, no
# transaction. The session's last_seen is written at most every 30 s (families.touch), so
# not here, a moment after the code exchange.
REFRESH_QUERIES = 2
# A login that completes at once (no second factor, no required action): the user by name,
# whether they have a second factor (one statement, accounts/login_steps.py), and the SSO
# session's and the LOGIN event's INSERTs, built once (accounts/rows.py): one statement on
# PostgreSQL, two in a transaction elsewhere (its start and end counted). No Django session is
# written (accounts/login_steps.py).
LOGIN_QUERIES = 3 if connection.vendor == "postgresql" else 6
# A family's access token presented to UserInfo or introspection: its family's row with its
# user and session (protocol/families.py ``live``), the columns the answer and the checks read;
# a column left deferred there and read later would be one query more.
BEARER_QUERIES = 1


def _machine(realm):
    client = make_machine_client(realm)
    orders = scope_with_audience(realm, "orders:read", "orders")
    client.default_client_scopes.add(orders)
    client.service_account.roles.add(make_role(realm, "user"))
    return client


def test_it_issues_a_client_credentials_token_in_a_bounded_number_of_queries(
    client, django_assert_max_num_queries
):
    realm = make_realm()
    _machine(realm)
    form = {"grant_type": "client_credentials"}
    auth = basic("machine", SECRET)
    # The first request also reads the realm and its signing keys into this process's caches.
    first = post_form(client, endpoint(realm, "token"), form, HTTP_AUTHORIZATION=auth)
    assert first.status_code == 200, first.content
    with django_assert_max_num_queries(CLIENT_CREDENTIALS_QUERIES):
        response = post_form(client, endpoint(realm, "token"), form, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, response.content


def _user_and_code(client, realm):
    app = make_web_client(realm, scopes=("openid", "profile", "email", "roles"))
    app.optional_client_scopes.add(ClientScope.objects.get(realm=realm, name="offline_access"))
    user = make_user(realm, "alice")
    user.roles.add(make_role(realm, "user"))
    code = authorize_and_get_code(client, realm, user, scope="openid profile")
    return code


def test_it_exchanges_a_code_in_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    realm = make_realm()
    first = _user_and_code(client, realm)
    assert exchange_code(client, realm, first).status_code == 200
    second = authorize_and_get_code(client, realm, scope="openid profile")
    with django_assert_max_num_queries(CODE_EXCHANGE_QUERIES):
        response = exchange_code(client, realm, second)
    assert response.status_code == 200, response.content


def test_it_refreshes_in_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    realm = make_realm()
    code = _user_and_code(client, realm)
    tokens = exchange_code(client, realm, code).json()
    tokens = refresh(client, realm, tokens["refresh_token"]).json()
    with django_assert_max_num_queries(REFRESH_QUERIES):
        response = refresh(client, realm, tokens["refresh_token"])
    assert response.status_code == 200, response.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_it_has_postgresql_plan_the_refresh_statements_once_per_connection(client):
    # Planning the family's SELECT cost PostgreSQL six times what running it does: the hot
    # path's statements are prepared once they have run a few times (accounts/rows.py).
    realm = make_realm()
    tokens = exchange_code(client, realm, _user_and_code(client, realm)).json()
    for _ in range(6):
        tokens = refresh(client, realm, tokens["refresh_token"]).json()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    family = [statement for statement in prepared if "authserver_refreshtoken" in statement]
    assert any(statement.startswith("SELECT ") for statement in family), prepared
    assert any(statement.startswith("UPDATE ") for statement in family), prepared


def test_it_logs_a_user_in_with_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    realm = make_realm()
    make_user(realm, "alice")
    assert login(client, realm, "alice").status_code == 302
    client.cookies.clear()
    with django_assert_max_num_queries(LOGIN_QUERIES):
        response = login(client, realm, "alice")
    assert response.status_code == 302, response.content
    assert client.cookies[cookie_name(realm)].value


def _access_token(client, realm) -> str:
    return exchange_code(client, realm, _user_and_code(client, realm)).json()["access_token"]


def test_it_answers_userinfo_with_one_query(client, django_assert_max_num_queries):
    realm = make_realm()
    token = _access_token(client, realm)
    first = client.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert first.status_code == 200, first.content
    with django_assert_max_num_queries(BEARER_QUERIES):
        response = client.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response.json()["preferred_username"] == "alice"


def test_it_introspects_an_access_token_with_one_query(client, django_assert_max_num_queries):
    realm = make_realm()
    token = _access_token(client, realm)
    url = endpoint(realm, "token/introspect")
    auth = basic("app", SECRET)
    assert post_form(client, url, {"token": token}, HTTP_AUTHORIZATION=auth).json()["active"]
    with django_assert_max_num_queries(BEARER_QUERIES):
        response = post_form(client, url, {"token": token}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is True
    assert response.json()["username"] == "alice"


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_hot_statements_again_after_the_database_connection_is_replaced(client):
    # accounts/rows.py keeps a cursor with each database connection; Django replaces the
    # connection (CONN_MAX_AGE, or after an error), and the next request must get a new cursor.
    realm = make_realm()
    token = _access_token(client, realm)
    url = endpoint(realm, "userinfo")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    connection.close()
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response.json()["preferred_username"] == "alice"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_it_has_postgresql_find_a_bearer_tokens_family_by_its_own_index_alone(client):
    # Without statistics on the table (before its first ANALYZE, or with autovacuum off),
    # PostgreSQL ANDed the family's index with the client's when the client's id was in the
    # WHERE, reading an index entry for every family of the client on each lookup.
    realm = make_realm()
    token = _access_token(client, realm)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    [lookup] = [query["sql"] for query in queries.captured_queries]
    family = RefreshToken.objects.get(application__realm=realm).token_family
    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE family_lookup AS {lookup}")
        cursor.execute("EXPLAIN (FORMAT JSON) EXECUTE family_lookup(%s)", [family])
        plan = json.dumps(cursor.fetchone()[0])
        cursor.execute("DEALLOCATE family_lookup")
        indexes = connection.introspection.get_constraints(cursor, RefreshToken._meta.db_table)
    by_columns = {
        tuple(index["columns"]): name for name, index in indexes.items() if index["index"]
    }
    assert by_columns[("token_family",)] in plan, plan
    assert by_columns[("application_id",)] not in plan, plan
