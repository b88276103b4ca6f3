"""End to end: the authorization server (live), the order service and the payment service
(gunicorn processes) talking HTTP to each other, as in production."""

import base64
import http.client
import io
import json

import pytest
import requests
from django.core.management import call_command

from tests.resource_server.live import (
    ALICE,
    BOB,
    MAX_BODY_BYTES,
    ORDERS_SERVICE_ACCOUNT,
    RATE_BURST,
    bearer,
    insert_order,
    service_token,
    user_token,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

READ_WRITE = "openid orders:read orders:write"


def place_order(demo, token, **fields):
    return requests.post(
        f"{demo['orders'].url}/api/orders",
        json={"item": "A pot of tea", "amount_cents": 1250, **fields},
        headers=bearer(token),
        timeout=30,
    )


def jwt_header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def test_it_answers_health_without_a_token(demo):
    for name in ("orders", "payments"):
        response = requests.get(f"{demo[name].url}/api/public/health", timeout=10)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "service": name}


def test_it_asks_for_a_token(demo):
    response = requests.get(f"{demo['orders'].url}/api/orders", timeout=10)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="orders", DPoP realm="orders", '
        'algs="ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA"'
    )


def test_it_creates_and_reads_orders_paid_on_behalf_of_the_user(demo):
    token = user_token(demo["issuer"], ALICE, READ_WRITE)
    item = "A teapot for the e2e test"

    placed = place_order(demo, token, item=item, amount_cents=4200)

    assert placed.status_code == 201, placed.text
    order, payment = placed.json()["order"], placed.json()["payment"]
    assert placed.headers["Location"] == f"/api/orders/{order['id']}"
    assert order["status"] == "paid"
    assert order["owner"] == ALICE[2]
    # The payment service recorded the user as payer and the order service as the actor.
    assert payment["payer"] == ALICE[2]
    assert payment["payer_username"] == "alice"
    assert payment["actor"] == ORDERS_SERVICE_ACCOUNT
    assert payment["actor_client"] == "orders-service"
    assert payment["reference"] == order["id"]
    [row] = demo["payments"].rows("SELECT * FROM payments_payment WHERE reference = ?", order["id"])
    assert (row["payer_sub"], row["actor"], row["actor_client"], row["amount_cents"]) == (
        ALICE[2],
        ORDERS_SERVICE_ACCOUNT,
        "orders-service",
        4200,
    )

    # The order service, with its own token, sees the payment it made on alice's behalf.
    service = service_token(demo["issuer"])
    seen = requests.get(
        f"{demo['payments'].url}/api/payments",
        params={"reference": order["id"]},
        headers=bearer(service),
        timeout=10,
    )
    assert seen.status_code == 200
    assert seen.json()["payments"] == [payment]

    listed = requests.get(f"{demo['orders'].url}/api/orders", headers=bearer(token), timeout=10)
    assert listed.status_code == 200
    mine = {each["id"]: each for each in listed.json()["orders"]}
    assert mine[order["id"]]["payment_id"] == payment["id"]
    assert {each["owner"] for each in mine.values()} == {ALICE[2]}


def test_it_lists_only_the_callers_own_orders(demo):
    theirs = insert_order(demo["orders"], ALICE)
    mine = insert_order(demo["orders"], BOB)
    token = user_token(demo["issuer"], BOB, READ_WRITE)

    listed = requests.get(f"{demo['orders'].url}/api/orders", headers=bearer(token), timeout=10)

    ids = {each["id"] for each in listed.json()["orders"]}
    assert mine in ids
    assert theirs not in ids
    own = requests.get(f"{demo['orders'].url}/api/orders/{mine}", headers=bearer(token), timeout=10)
    other = requests.get(
        f"{demo['orders'].url}/api/orders/{theirs}", headers=bearer(token), timeout=10
    )
    assert own.status_code == 200
    assert other.status_code == 404


def test_it_answers_a_token_without_the_scope_with_insufficient_scope(demo):
    token = user_token(demo["issuer"], BOB, "openid orders:read")

    refused = place_order(demo, token)
    allowed = requests.get(f"{demo['orders'].url}/api/orders", headers=bearer(token), timeout=10)

    assert refused.status_code == 403
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer realm="orders", error="insufficient_scope", '
        'error_description="the scope orders:write is required", scope="orders:write"'
    )
    assert allowed.status_code == 200


def test_it_refuses_the_users_orders_token_at_the_payment_service(demo):
    token = user_token(demo["issuer"], ALICE, READ_WRITE)

    response = requests.post(
        f"{demo['payments'].url}/api/payments",
        json={"reference": "forwarded", "amount_cents": 100},
        headers=bearer(token),
        timeout=10,
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="payments", error="invalid_token", '
        'error_description="the access token is not meant for this service"'
    )
    assert (
        demo["payments"].rows("SELECT * FROM payments_payment WHERE reference = 'forwarded'") == []
    )


def test_it_keeps_the_admin_routes_to_admins(demo):
    bobs = insert_order(demo["orders"], BOB)
    url = f"{demo['orders'].url}/api/admin/orders"

    plain_user = requests.get(
        url, headers=bearer(user_token(demo["issuer"], BOB, READ_WRITE)), timeout=10
    )
    admin = requests.get(
        url, headers=bearer(user_token(demo["issuer"], ALICE, READ_WRITE)), timeout=10
    )

    assert plain_user.status_code == 403
    assert 'error="insufficient_scope"' in plain_user.headers["WWW-Authenticate"]
    assert admin.status_code == 200
    assert bobs in {each["id"] for each in admin.json()["orders"]}


def test_it_refuses_the_admin_routes_from_an_address_not_allowlisted(demo):
    token = user_token(demo["issuer"], ALICE, READ_WRITE)
    # The whole of 127.0.0.0/8 is this machine; only 127.0.0.1 is allowlisted.
    connection = http.client.HTTPConnection(
        "127.0.0.1", demo["orders"].port, timeout=10, source_address=("127.0.0.2", 0)
    )
    try:
        connection.request("GET", "/api/admin/orders", headers=bearer(token))
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()

    assert response.status == 403
    assert body["error"] == "forbidden"


def test_it_lets_the_owner_or_an_admin_delete_an_order(demo):
    bob, alice = (
        user_token(demo["issuer"], BOB, READ_WRITE),
        user_token(demo["issuer"], ALICE, READ_WRITE),
    )
    bobs_first, bobs_second, alices = (
        insert_order(demo["orders"], BOB),
        insert_order(demo["orders"], BOB),
        insert_order(demo["orders"], ALICE),
    )
    url = f"{demo['orders'].url}/api/orders"

    def delete(order_id, token):
        return requests.delete(f"{url}/{order_id}", headers=bearer(token), timeout=10)

    # Someone else's order looks like no order at all; the owner and an admin may delete.
    assert delete(alices, bob).status_code == 404
    by_owner, by_admin = delete(bobs_first, bob), delete(bobs_second, alice)
    assert (by_owner.status_code, by_owner.content) == (204, b"")
    assert by_admin.status_code == 204
    remaining = demo["orders"].rows(
        "SELECT id FROM orders_order WHERE id IN (?, ?)",
        bobs_first.replace("-", ""),
        bobs_second.replace("-", ""),
    )
    assert remaining == []
    assert demo["orders"].rows("SELECT id FROM orders_order WHERE id = ?", alices.replace("-", ""))


def test_it_rate_limits_a_client_after_its_burst(demo):
    from django.conf import settings

    if not settings.REDIS_URL:
        pytest.skip("rate limiting needs REDIS_URL")
    token = user_token(demo["issuer"], BOB, READ_WRITE)
    session = requests.Session()

    answers = [
        session.get(f"{demo['orders'].url}/api/orders", headers=bearer(token), timeout=10)
        for _ in range(RATE_BURST + 10)
    ]

    codes = [answer.status_code for answer in answers]
    assert codes[: RATE_BURST - 5] == [200] * (RATE_BURST - 5)
    assert 429 in codes
    limited = answers[codes.index(429)]
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.json()["error"] == "too_many_requests"


def test_it_refuses_an_oversized_body(demo):
    token = user_token(demo["issuer"], ALICE, READ_WRITE)

    response = place_order(demo, token, item="x" * (MAX_BODY_BYTES + 1))

    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"


def test_it_accepts_new_tokens_after_a_key_rotation_without_a_restart(demo):
    before = user_token(demo["issuer"], ALICE, READ_WRITE)
    url = f"{demo['orders'].url}/api/orders"
    assert requests.get(url, headers=bearer(before), timeout=10).status_code == 200

    call_command("rotate_keys", "demo", stdout=io.StringIO(), stderr=io.StringIO())
    after = user_token(demo["issuer"], ALICE, READ_WRITE)

    assert jwt_header(after)["kid"] != jwt_header(before)["kid"]
    assert requests.get(url, headers=bearer(after), timeout=10).status_code == 200
    assert requests.get(url, headers=bearer(before), timeout=10).status_code == 200
    # The exchanged token is signed with the new key too: the payment service picks it up.
    placed = place_order(demo, after)
    assert placed.status_code == 201, placed.text


def test_it_charges_pending_orders_with_its_own_client_credentials_token(demo):
    pending = insert_order(demo["orders"], BOB, status="pending", age=3600)

    result = demo["orders"].manage("charge_pending")

    assert result.returncode == 0, result.stderr
    assert "charged 1 pending order(s)" in result.stdout
    [order] = demo["orders"].rows(
        "SELECT status, payment_id FROM orders_order WHERE id = ?", pending.replace("-", "")
    )
    assert order["status"] == "paid"
    [payment] = demo["payments"].rows("SELECT * FROM payments_payment WHERE reference = ?", pending)
    # No user was present: the service's own account paid, and the service acted.
    assert payment["payer_sub"] == ORDERS_SERVICE_ACCOUNT
    assert payment["actor"] == "orders-service"
    assert payment["actor_client"] == "orders-service"
    assert order["payment_id"].replace("-", "") == payment["id"].replace("-", "")


# Deeper than Python's JSON decoder goes, within the services' 4 KiB body limit.
NESTED = "[" * 1200 + "]" * 1200


@pytest.mark.parametrize(
    "body",
    [
        NESTED,
        '{"item": ' + NESTED + ', "amount_cents": 100}',
        '{"item": "tea\\u0000", "reference": "r\\u0000", "amount_cents": 100}',
        '{"item": "\\ud800", "reference": "\\udfff", "amount_cents": 100}',
    ],
)
def test_it_refuses_nested_or_unstorable_json_with_400(demo, body):
    tokens = {
        "orders": user_token(demo["issuer"], ALICE, READ_WRITE),
        "payments": service_token(demo["issuer"]),
    }
    for service, path in (("orders", "/api/orders"), ("payments", "/api/payments")):
        response = requests.post(
            f"{demo[service].url}{path}",
            data=body.encode(),
            headers={**bearer(tokens[service]), "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 400, (service, response.text)
        assert response.json()["error"] == "invalid_request"


FUZZ_SEED = 20261206
FUZZ_REQUESTS = 80
FUZZ_VALUES = [
    None,
    "",
    "tea\u0000",
    "\ud800",
    "x" * 300,
    10**400,
    1e308,
    -1,
    0,
    True,
    [],
    {},
    [[[[[]]]]],
    "EUR",
    "eur\u0000",
    1250,
]
FUZZ_BODIES = [
    NESTED,
    '{"item": ' + NESTED + "}",
    '{"item": "tea\\u0000", "reference": "\\ud800", "amount_cents": 100}',
    "{",
    "null",
    "[]",
    '"text"',
    "1e999",
    '{"amount_cents": 1e999}',
    '{"amount_cents": NaN, "item": "tea"}',
    '{"amount_cents": ' + "9" * 500 + ', "item": "tea"}',
    "\xff\xfe",
]


def _fuzz_body(rng) -> bytes:
    if rng.random() < 0.5:
        return rng.choice(FUZZ_BODIES).encode("utf-8", "surrogatepass")
    names = ["item", "reference", "amount_cents", "quantity", "currency", "x"]
    data = {name: rng.choice(FUZZ_VALUES) for name in rng.sample(names, k=rng.randint(0, 5))}
    return json.dumps(data).encode("utf-8", "surrogatepass")


def test_it_never_answers_a_server_error_to_hostile_requests(demo):
    """A seeded fuzz of both services: hostile bodies, paths, tokens and content types."""
    import random

    rng = random.Random(FUZZ_SEED)
    tokens = [
        user_token(demo["issuer"], ALICE, READ_WRITE),
        service_token(demo["issuer"]),
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9." + "W" * 3000 + ".c2ln",
    ]
    # Mostly the two writes, which read a body; the other routes now and then.
    routes = [
        *[("POST", "orders", "/api/orders")] * 4,
        *[("POST", "payments", "/api/payments")] * 3,
        ("GET", "orders", "/api/orders"),
        ("GET", "orders", "/api/orders/00000000-0000-0000-0000-000000000000"),
        ("DELETE", "orders", "/api/orders/%00"),
        ("GET", "orders", "/api/admin/orders"),
        ("PUT", "orders", "/api/orders"),
        ("GET", "payments", "/api/public/health"),
    ]
    failures = []
    for number in range(FUZZ_REQUESTS):
        method, service, path = rng.choice(routes)
        headers = {"Content-Type": rng.choice(["application/json"] * 3 + ["text/plain"])}
        roll = rng.random()
        if roll < 0.8:  # the token each service accepts, to get past authentication
            headers["Authorization"] = "Bearer " + tokens[service == "payments"]
        elif roll < 0.95:
            headers["Authorization"] = "Bearer " + rng.choice(tokens)
        body = _fuzz_body(rng) if method in ("POST", "PUT") else None
        response = requests.request(
            method, f"{demo[service].url}{path}", data=body, headers=headers, timeout=30
        )
        if response.status_code >= 500 and response.status_code not in (502, 503):
            failures.append((number, method, service, path, body, response.status_code))
    assert not failures, failures


def test_it_takes_a_dpop_bound_token_and_still_pays_on_the_users_behalf(demo):
    from tests.protocol.dpop_keys import DPoPKey

    key = DPoPKey()
    token = user_token(demo["issuer"], ALICE, READ_WRITE, dpop=key)
    url = f"{demo['orders'].url}/api/orders"

    as_bearer = requests.post(
        url, json={"item": "Tea", "amount_cents": 990}, headers=bearer(token), timeout=30
    )
    assert as_bearer.status_code == 401
    assert 'error="invalid_token"' in as_bearer.headers["WWW-Authenticate"]

    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof(url, access_token=token)}
    placed = requests.post(
        url, json={"item": "Tea", "amount_cents": 990}, headers=headers, timeout=30
    )

    # The order service exchanged the bound token for a payments token (RFC 8693): the payment
    # was made on alice's behalf all the same.
    assert placed.status_code == 201, placed.text
    assert placed.json()["payment"]["payer"] == ALICE[2]
    assert placed.json()["payment"]["actor_client"] == "orders-service"
    replayed = requests.post(
        url, json={"item": "Tea", "amount_cents": 990}, headers=headers, timeout=30
    )
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_dpop_proof"
    assert replayed.headers["WWW-Authenticate"].startswith('DPoP realm="orders"')
