"""Two nodes behind the gateway behave as one server: a browser session, a refresh, a logout,
a revocation, a new signing key and the rate limits hold on both; a node lost under load
costs no read and no acknowledged write. Driven through the gateway only."""

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from jwcrypto import jwk, jwt

from accounts import process_cache
from tests.cluster.conftest import (
    SERVICE_CLIENT,
    TOKEN_BURST,
    TOKEN_RATE,
    USER,
    WEB_CLIENT,
)

OIDC = "/realms/demo/protocol/openid-connect"
BOTH = {"node1", "node2"}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def _jwks(cluster) -> dict:
    answer = cluster.request("GET", f"{OIDC}/certs")
    assert answer.status == 200, answer.body
    return answer.json()


def _claims(cluster, token: str) -> dict:
    keys = jwk.JWKSet.from_json(json.dumps(_jwks(cluster)))
    return json.loads(jwt.JWT(jwt=token, key=keys, algs=["RS256", "ES256"]).claims)


def _until_both_nodes(attempt, *, tries: int = 8) -> dict[str, object]:
    """Calls ``attempt()`` (returning (request id, result)) until each node has answered one:
    the gateway's round robin alternates, so a few calls reach both."""
    seen = {}
    for _ in range(tries):
        request_id, result = attempt()
        seen[attempt.cluster.served_by(request_id)] = result
        if set(seen) == BOTH:
            return seen
    pytest.fail(f"only {sorted(seen)} answered in {tries} calls")


def _password_tokens(cluster, scope: str = "openid orders:read orders:write") -> dict:
    answer = cluster.token(
        {"grant_type": "password", "username": USER[0], "password": USER[1], "scope": scope},
        client=WEB_CLIENT,
    )
    assert answer.status == 200, answer.body
    return answer.json()


def _last_node_for(cluster, path: str) -> str:
    line = [each for each in cluster.log_lines() if each["path"] == path][-1]
    return next(name for name, bind in cluster.nodes.items() if line["upstream"].endswith(bind))


@pytest.mark.browser
def test_a_browser_session_holds_on_every_node_until_its_logout(cluster, browser, relying_party):
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    verifier, challenge = _pkce()
    authorize = {
        "client_id": WEB_CLIENT[0],
        "response_type": "code",
        "redirect_uri": relying_party.redirect_uri,
        "scope": "openid orders:read orders:write",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    logged_before = len(cluster.log_lines())
    page.goto(f"{cluster.issuer}/protocol/openid-connect/auth?{urlencode(authorize)}")
    page.fill('input[name="username"]', USER[0])
    page.fill('input[name="password"]', USER[1])
    page.click('button[type="submit"]')
    page.wait_for_url(f"{relying_party.redirect_uri}*")
    callback = parse_qs(urlsplit(relying_party.landed[-1]).query)
    assert callback["iss"] == [cluster.issuer]
    # The login page, the password and the authorization that followed it went to both nodes:
    # the session made on one was found on the other.
    login = [line["upstream"] for line in cluster.log_lines()[logged_before:]]
    assert {bind for bind in cluster.nodes.values() if any(bind in each for each in login)} == set(
        cluster.nodes.values()
    )

    exchanged = cluster.token(
        {
            "grant_type": "authorization_code",
            "code": callback["code"][0],
            "redirect_uri": relying_party.redirect_uri,
            "code_verifier": verifier,
        },
        client=WEB_CLIENT,
    )
    assert exchanged.status == 200, exchanged.body
    tokens = exchanged.json()
    first_node = cluster.served_by(exchanged.request_id)
    assert "orders" in _claims(cluster, tokens["access_token"])["aud"]

    # The refresh, by the other node.
    refresh = tokens["refresh_token"]
    for _ in range(4):
        refreshed = cluster.token(
            {"grant_type": "refresh_token", "refresh_token": refresh}, client=WEB_CLIENT
        )
        assert refreshed.status == 200, refreshed.body
        refresh = refreshed.json()["refresh_token"]
        if cluster.served_by(refreshed.request_id) != first_node:
            break
    else:
        pytest.fail(f"every refresh went to {first_node}")
    access = refreshed.json()["access_token"]
    assert _claims(cluster, access)["preferred_username"] == USER[0]
    orders = cluster.request("GET", "/api/orders", headers={"Authorization": f"Bearer {access}"})
    assert orders.status == 200, orders.body

    # Logout on one node ends the session on both.
    page.goto(
        f"{cluster.issuer}/protocol/openid-connect/logout?"
        + urlencode(
            {
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": relying_party.logout_redirect_uri,
            }
        )
    )
    page.wait_for_url(f"{relying_party.logout_redirect_uri}*")
    silent = {**authorize, "prompt": "none", "state": "s2"}
    asked = set()
    for _ in range(8):
        page.goto(f"{cluster.issuer}/protocol/openid-connect/auth?{urlencode(silent)}")
        page.wait_for_url(f"{relying_party.redirect_uri}*")
        assert parse_qs(urlsplit(relying_party.landed[-1]).query)["error"] == ["login_required"]
        asked.add(_last_node_for(cluster, f"{OIDC}/auth"))
        if asked == BOTH:
            break
    assert asked == BOTH

    def refresh_after_logout():
        answer = cluster.token(
            {"grant_type": "refresh_token", "refresh_token": refresh}, client=WEB_CLIENT
        )
        return answer.request_id, (answer.status, answer.json().get("error"))

    refresh_after_logout.cluster = cluster
    for refused in _until_both_nodes(refresh_after_logout).values():
        assert refused == (400, "invalid_grant")
    context.close()


def test_a_revoked_token_is_refused_by_every_node_and_by_the_gateway(cluster):
    access = _password_tokens(cluster)["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert cluster.request("GET", "/api/orders", headers=bearer).status == 200

    def introspect():
        answer = cluster.request(
            "POST",
            f"{OIDC}/token/introspect",
            form={"token": access},
            headers={"Authorization": _basic(SERVICE_CLIENT)},
        )
        assert answer.status == 200, answer.body
        return answer.request_id, answer.json()["active"]

    introspect.cluster = cluster
    assert set(_until_both_nodes(introspect).values()) == {True}

    revoked = cluster.request(
        "POST",
        f"{OIDC}/revoke",
        form={"token": access, "token_type_hint": "access_token"},
        headers={"Authorization": _basic(WEB_CLIENT)},
    )
    assert revoked.status == 200, revoked.body
    # Every node refuses it from the moment the revocation is answered.
    assert set(_until_both_nodes(introspect).values()) == {False}

    def userinfo():
        answer = cluster.request("GET", f"{OIDC}/userinfo", headers=bearer)
        return answer.request_id, answer.status

    userinfo.cluster = cluster
    assert set(_until_both_nodes(userinfo).values()) == {401}
    # The gateway's check keeps an answer a second at most (GATEWAY_CHECK_CACHE_SECONDS).
    time.sleep(1.1)
    refused = cluster.request("GET", "/api/orders", headers=bearer)
    assert refused.status == 401, refused.body
    assert refused.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_every_node_publishes_a_rotated_key_at_once(cluster):
    # Every worker of both nodes has read the key set just before the rotation.
    before = {key["kid"] for _ in range(8) for key in _jwks(cluster)["keys"]}
    cluster.manage("rotate_keys", "demo")
    # The rotation is announced as any change is: every process hears of it within a poll.
    time.sleep(process_cache.POLL_SECONDS + 0.1)

    def jwks():
        answer = cluster.request("GET", f"{OIDC}/certs")
        return answer.request_id, tuple(key["kid"] for key in answer.json()["keys"])

    jwks.cluster = cluster
    served = {kids for _ in range(3) for kids in _until_both_nodes(jwks).values()}
    assert len(served) == 1, f"the nodes publish different key sets: {served}"
    newest = next(iter(served))[0]
    assert newest not in before

    def issued():
        answer = cluster.token({"grant_type": "client_credentials"}, client=SERVICE_CLIENT)
        assert answer.status == 200, answer.body
        token = answer.json()["access_token"]
        return answer.request_id, json.loads(_b64(token.split(".")[0]))["kid"]

    issued.cluster = cluster
    assert set(_until_both_nodes(issued).values()) == {newest}


def test_the_nodes_share_the_token_endpoints_rate_limit(cluster):
    # From an address of its own: every request, failed client authentication included, counts.
    started = time.monotonic()
    answers = [
        cluster.token(
            {"grant_type": "client_credentials"},
            client=(SERVICE_CLIENT[0], "not-the-secret"),
            source="127.0.0.9",
        )
        for _ in range(2 * TOKEN_BURST + 6)
    ]
    elapsed = time.monotonic() - started
    passed = [answer for answer in answers if answer.status != 429]
    limited = [answer for answer in answers if answer.status == 429]
    assert {answer.status for answer in passed} == {401}
    # Two nodes of two workers each would let up to four bursts through if each counted alone.
    assert len(passed) <= TOKEN_BURST + TOKEN_RATE * elapsed + 1, (len(passed), elapsed)
    assert {cluster.served_by(answer.request_id) for answer in limited} == BOTH
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in limited)


def test_a_node_killed_under_load_costs_no_read_and_no_acknowledged_write(cluster):
    access = _password_tokens(cluster)["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    reads = [
        "/realms/demo/.well-known/openid-configuration",
        f"{OIDC}/certs",
        "/realms/demo",
        f"{OIDC}/userinfo",
    ]
    stop = threading.Event()
    got: list[tuple[str, int]] = []
    wrote: list[tuple[str, int]] = []

    def reader(offset: int):
        turn = offset
        while not stop.is_set():
            path = reads[turn % len(reads)]
            got.append((path, cluster.request("GET", path, headers=bearer).status))
            turn += 1

    def writer():
        number = 0
        while not stop.is_set():
            item = f"load-{number}-{secrets.token_hex(4)}"
            answer = cluster.request(
                "POST",
                "/api/orders",
                headers={**bearer, "Content-Type": "application/json"},
                body=json.dumps({"item": item, "amount_cents": 100}).encode(),
            )
            wrote.append((item, answer.status))
            number += 1
            # Below the gateway's 10 a second for one client.
            time.sleep(0.15)

    logged_before = len(cluster.log_lines())
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(3)]
    threads.append(threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        reads_before_kill = len(got)
        killed = cluster.kill("node1")
        time.sleep(2.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert reads_before_kill > 0 and len(got) > reads_before_kill
    assert [(path, status) for path, status in got if status >= 500] == []
    # Reads did reach the lost node, and were answered by the other.
    retried = [
        line
        for line in cluster.log_lines()[logged_before:]
        if line["upstream"].startswith(cluster.nodes["node1"] + ", ")
    ]
    assert retried, "no request was retried on the other node"
    acknowledged = [item for item, status in wrote if status in (201, 202)]
    assert acknowledged, wrote
    listed = cluster.request("GET", "/api/orders", headers=bearer)
    assert listed.status == 200, listed.body
    stored = [order["item"] for order in listed.json()["orders"]]
    assert set(acknowledged) <= set(stored), set(acknowledged) - set(stored)
    assert len(stored) == len(set(stored))
    cluster.wait_back("node1", killed)


def _basic(client: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
