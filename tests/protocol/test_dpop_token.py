"""DPoP at the token endpoint (RFC 9449 §4, §5, §8, §10): proofs checked, tokens bound to the
proven key (``cnf.jkt``, ``token_type: DPoP``), refusals with ``invalid_dpop_proof`` and
``use_dpop_nonce``."""

import time

import pytest
from jwcrypto import jwk

from authserver.protocol import dpop
from tests.factories import PASSWORD, make_realm, make_user
from tests.protocol.dpop_keys import DPoPKey, exchange, refresh_with, url
from tests.protocol.helpers import (
    SECRET,
    basic,
    endpoint,
    introspect,
    make_machine_client,
    make_web_client,
    post_form,
    refresh_claims,
    verify,
)
from tests.protocol.helpers import authorize_and_get_code as get_code

pytestmark = pytest.mark.django_db

REQUIRED = {dpop.REQUIRED_ATTRIBUTE: "true"}
NONCE = {dpop.NONCE_ATTRIBUTE: "true"}


def client_credentials(http, realm, proof=None, client_id="machine"):
    headers = {"HTTP_AUTHORIZATION": basic(client_id, SECRET)}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return post_form(
        http, endpoint(realm, "token"), {"grant_type": "client_credentials"}, **headers
    )


def assert_refused(response, error="invalid_dpop_proof"):
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error
    assert response["Cache-Control"] == "no-store"


# --- binding ------------------------------------------------------------------------------------
def test_it_binds_the_access_token_to_the_proven_key(client):
    realm = make_realm()
    make_machine_client(realm)
    key = DPoPKey()

    response = client_credentials(client, realm, key.proof(url(realm, "token")))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    claims = verify(client, realm, body["access_token"], typ="at+jwt")
    assert claims["cnf"] == {"jkt": key.jkt}
    # A fresh nonce is offered to every request with a proof (§8).
    assert response["DPoP-Nonce"]


def test_it_issues_a_bearer_token_without_a_proof(client):
    realm = make_realm()
    make_machine_client(realm)

    response = client_credentials(client, realm)

    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    assert "cnf" not in verify(client, realm, response.json()["access_token"])
    assert "DPoP-Nonce" not in response


@pytest.mark.parametrize(
    "generate",
    [
        ("ES384", {"kty": "EC", "crv": "P-384"}),
        ("PS256", {"kty": "RSA", "size": 2048}),
        ("RS256", {"kty": "RSA", "size": 2048}),
        ("EdDSA", {"kty": "OKP", "crv": "Ed25519"}),
    ],
)
def test_it_accepts_the_advertised_algorithms(client, generate):
    realm = make_realm()
    make_machine_client(realm)
    alg, parameters = generate
    key = DPoPKey(alg, **parameters)

    response = client_credentials(client, realm, key.proof(url(realm, "token")))

    assert response.status_code == 200, response.content
    assert verify(client, realm, response.json()["access_token"])["cnf"] == {"jkt": key.jkt}


def test_it_requires_a_proof_of_a_client_that_requires_dpop(client):
    realm = make_realm()
    make_machine_client(realm, attributes=REQUIRED)

    assert_refused(client_credentials(client, realm))
    key = DPoPKey()
    assert client_credentials(client, realm, key.proof(url(realm, "token"))).status_code == 200


def test_it_reports_bound_tokens_in_introspection(client):
    realm = make_realm()
    make_machine_client(realm)
    key = DPoPKey()
    token = client_credentials(client, realm, key.proof(url(realm, "token"))).json()["access_token"]

    answer = introspect(client, realm, token)

    assert answer["active"] is True
    assert answer["token_type"] == "DPoP"
    assert answer["cnf"] == {"jkt": key.jkt}


# --- the proof's checks (§4.3) ------------------------------------------------------------------
def test_it_refuses_a_replayed_proof(client):
    realm = make_realm()
    make_machine_client(realm)
    proof = DPoPKey().proof(url(realm, "token"))

    assert client_credentials(client, realm, proof).status_code == 200
    assert_refused(client_credentials(client, realm, proof))


@pytest.mark.parametrize(
    "change",
    [
        {"htm": "GET"},
        {"htu": "https://elsewhere.example/realms/x/protocol/openid-connect/token"},
        {"iat": -300},
        {"iat": +300},
    ],
    ids=["htm", "htu", "stale-iat", "future-iat"],
)
def test_it_refuses_a_proof_made_for_another_request_or_time(client, change):
    realm = make_realm()
    make_machine_client(realm)
    key = DPoPKey()
    arguments = {"htu": url(realm, "token"), "htm": "POST"}
    if "iat" in change:
        arguments["iat"] = time.time() + change["iat"]
    else:
        arguments |= change

    response = client_credentials(client, realm, key.proof(**arguments))

    assert_refused(response)
    assert "access_token" not in response.json()


def test_it_ignores_the_query_and_the_case_of_scheme_and_host_in_htu(client):
    realm = make_realm()
    make_machine_client(realm)
    htu = url(realm, "token").replace("http://", "HTTP://", 1) + "?ignored=1#too"

    response = client_credentials(client, realm, DPoPKey().proof(htu))

    assert response.status_code == 200, response.content


def test_it_refuses_a_proof_signed_with_a_symmetric_algorithm(client):
    realm = make_realm()
    make_machine_client(realm)
    secret = jwk.JWK.generate(kty="oct", size=256)
    key = DPoPKey()
    proof = key.proof(
        url(realm, "token"),
        header={"alg": "HS256", "jwk": {"kty": "oct", "k": secret.export_symmetric()}},
        key=secret,
    )

    assert_refused(client_credentials(client, realm, proof))


def test_it_refuses_a_proof_carrying_a_private_key(client):
    realm = make_realm()
    make_machine_client(realm)
    key = DPoPKey()
    private = key.key.export_private(as_dict=True)

    assert_refused(
        client_credentials(client, realm, key.proof(url(realm, "token"), header={"jwk": private}))
    )


@pytest.mark.parametrize(
    "header",
    [{"typ": "JWT"}, {"alg": "none"}, {"alg": "ES384"}, {"jwk": None}],
    ids=["typ", "alg-none", "alg-for-another-curve", "no-jwk"],
)
def test_it_refuses_a_proof_with_a_bad_header(client, header):
    realm = make_realm()
    make_machine_client(realm)

    proof = DPoPKey().proof(url(realm, "token"), header=header)

    assert_refused(client_credentials(client, realm, proof))


def test_it_refuses_a_proof_signed_by_another_key_than_its_jwk(client):
    realm = make_realm()
    make_machine_client(realm)
    proof = DPoPKey().proof(url(realm, "token"), key=DPoPKey().key)

    assert_refused(client_credentials(client, realm, proof))


@pytest.mark.parametrize("value", ["", "not-a-jwt", "a.b.c"])
def test_it_refuses_a_proof_that_is_no_jwt(client, value):
    realm = make_realm()
    make_machine_client(realm)

    assert_refused(client_credentials(client, realm, value))


def test_it_refuses_two_proofs(client):
    realm = make_realm()
    make_machine_client(realm)
    key = DPoPKey()
    both = f"{key.proof(url(realm, 'token'))}, {key.proof(url(realm, 'token'))}"

    assert_refused(client_credentials(client, realm, both))


def test_it_refuses_a_proof_without_jti(client):
    realm = make_realm()
    make_machine_client(realm)

    proof = DPoPKey().proof(url(realm, "token"), claims={"jti": None})

    assert_refused(client_credentials(client, realm, proof))


def test_it_refuses_a_short_rsa_key(client):
    realm = make_realm()
    make_machine_client(realm)
    key = DPoPKey("RS256", kty="RSA", size=1024)

    assert_refused(client_credentials(client, realm, key.proof(url(realm, "token"))))


# --- nonces (§8) --------------------------------------------------------------------------------
def test_it_demands_a_nonce_of_a_client_that_requires_one(client):
    realm = make_realm()
    make_machine_client(realm, attributes=NONCE)
    key = DPoPKey()

    first = client_credentials(client, realm, key.proof(url(realm, "token")))

    assert_refused(first, "use_dpop_nonce")
    nonce = first["DPoP-Nonce"]
    second = client_credentials(client, realm, key.proof(url(realm, "token"), nonce=nonce))
    assert second.status_code == 200, second.content
    assert second.json()["token_type"] == "DPoP"


def test_it_refuses_a_wrong_or_another_realms_nonce(client):
    realm, other = make_realm(), make_realm()
    make_machine_client(realm, attributes=NONCE)
    key = DPoPKey()
    foreign = dpop.nonce(other)

    for nonce in ("made-up", foreign):
        response = client_credentials(client, realm, key.proof(url(realm, "token"), nonce=nonce))
        assert_refused(response, "use_dpop_nonce")
        assert response["DPoP-Nonce"] == dpop.nonce(realm)


def test_it_refuses_a_stale_nonce(client, time_machine):
    realm = make_realm()
    make_machine_client(realm, attributes=NONCE)
    key = DPoPKey()
    nonce = dpop.nonce(realm)

    time_machine.move_to(time.time() + 3 * dpop.NONCE_SECONDS)

    response = client_credentials(client, realm, key.proof(url(realm, "token"), nonce=nonce))
    assert_refused(response, "use_dpop_nonce")


# --- the code flow: codes, refresh tokens (§5, §10) -----------------------------------------------
def _code_flow(http, realm, *, public: bool, key: DPoPKey | None, **params):
    user = make_user(realm, "alice")
    make_web_client(realm, public=public, scopes=("openid",))
    code = get_code(http, realm, user, **params)
    return exchange(http, realm, code, key, public=public)


def test_it_binds_a_public_clients_access_and_refresh_tokens(client):
    realm = make_realm()
    key = DPoPKey()

    response = _code_flow(client, realm, public=True, key=key)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert verify(client, realm, body["access_token"])["cnf"] == {"jkt": key.jkt}
    assert refresh_claims(body["refresh_token"])["cnf"] == {"jkt": key.jkt}
    # The ID token is not bound: it is no access token.
    assert "cnf" not in verify(client, realm, body["id_token"])

    renewed = refresh_with(client, realm, body["refresh_token"], key)
    assert renewed.status_code == 200, renewed.content
    assert renewed.json()["token_type"] == "DPoP"
    assert verify(client, realm, renewed.json()["access_token"])["cnf"] == {"jkt": key.jkt}
    assert refresh_claims(renewed.json()["refresh_token"])["cnf"] == {"jkt": key.jkt}


def test_it_refuses_a_bound_refresh_token_without_a_proof_or_with_another_key(client):
    realm = make_realm()
    body = _code_flow(client, realm, public=True, key=DPoPKey()).json()

    assert_refused(refresh_with(client, realm, body["refresh_token"]))
    assert_refused(refresh_with(client, realm, body["refresh_token"], DPoPKey()))


def test_it_leaves_a_confidential_clients_refresh_token_unbound(client):
    realm = make_realm()
    first = DPoPKey()
    body = _code_flow(client, realm, public=False, key=first).json()
    assert "cnf" not in refresh_claims(body["refresh_token"])

    # A new key binds the new access token; no proof, a bearer token.
    second = DPoPKey()
    renewed = refresh_with(client, realm, body["refresh_token"], second, public=False).json()
    assert verify(client, realm, renewed["access_token"])["cnf"] == {"jkt": second.jkt}
    plain = refresh_with(client, realm, renewed["refresh_token"], public=False).json()
    assert plain["token_type"] == "Bearer"
    assert "cnf" not in verify(client, realm, plain["access_token"])


def test_it_keeps_a_code_unspent_when_a_nonce_is_demanded(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    make_web_client(realm, public=True, scopes=("openid",), attributes=NONCE)
    key = DPoPKey()
    code = get_code(client, realm, user)

    first = exchange(client, realm, code, key)
    assert_refused(first, "use_dpop_nonce")

    second = exchange(client, realm, code, key, nonce=first["DPoP-Nonce"])
    assert second.status_code == 200, second.content
    assert verify(client, realm, second.json()["access_token"])["cnf"] == {"jkt": key.jkt}


def test_it_binds_the_code_to_the_dpop_jkt_of_the_authorization_request(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    make_web_client(realm, public=True, scopes=("openid",))
    key = DPoPKey()
    code = get_code(client, realm, user, dpop_jkt=key.jkt)

    assert_refused(exchange(client, realm, code))
    assert_refused(exchange(client, realm, code, DPoPKey()))
    # Neither refusal spent the code: the client that holds the key exchanges it.
    response = exchange(client, realm, code, key)
    assert response.status_code == 200, response.content
    assert verify(client, realm, response.json()["access_token"])["cnf"] == {"jkt": key.jkt}


def test_it_refuses_a_malformed_dpop_jkt(client):
    from tests.protocol.helpers import authorize_params, authorize_url, redirect_params

    realm = make_realm()
    make_web_client(realm, public=True)

    response = client.get(authorize_url(realm, **authorize_params(dpop_jkt="not-a-thumbprint")))

    assert redirect_params(response)["error"] == "invalid_request"


def test_it_binds_tokens_of_the_password_grant(client):
    realm = make_realm()
    make_user(realm, "alice")
    make_web_client(
        realm, public=True, scopes=("openid",), attributes={"direct.access.grants.enabled": "true"}
    )
    key = DPoPKey()

    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "password", "client_id": "app", "username": "alice", "password": PASSWORD},
        HTTP_DPOP=key.proof(url(realm, "token")),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert verify(client, realm, body["access_token"])["cnf"] == {"jkt": key.jkt}
    assert refresh_claims(body["refresh_token"])["cnf"] == {"jkt": key.jkt}


# --- pushed authorization requests (§10.1) -----------------------------------------------------
def push(http, realm, key=None, **params):
    from tests.protocol.helpers import authorize_params

    form = {
        name: value for name, value in authorize_params(**params).items() if name != "client_id"
    }
    headers = {"HTTP_AUTHORIZATION": basic("app", SECRET)}
    if key is not None:
        headers["HTTP_DPOP"] = key.proof(url(realm, "ext/par/request"))
    return post_form(http, endpoint(realm, "ext/par/request"), form, **headers)


def code_by_reference(http, realm, user, request_uri) -> str:
    from tests.protocol.helpers import login, redirect_params

    login(http, realm, user.username)
    response = http.get(
        endpoint(realm, "auth") + f"?client_id=app&request_uri={request_uri}", follow=False
    )
    return redirect_params(response)["code"]


def test_it_binds_the_code_of_a_pushed_request_to_its_proofs_key(client):
    realm = make_realm()
    user = make_user(realm, "alice")
    make_web_client(realm, scopes=("openid",))
    key = DPoPKey()

    pushed = push(client, realm, key, scope="openid")

    assert pushed.status_code == 201, pushed.content
    assert pushed["DPoP-Nonce"]
    code = code_by_reference(client, realm, user, pushed.json()["request_uri"])
    assert_refused(exchange(client, realm, code, DPoPKey(), public=False))
    response = exchange(client, realm, code, key, public=False)
    assert response.status_code == 200, response.content
    assert verify(client, realm, response.json()["access_token"])["cnf"] == {"jkt": key.jkt}


def test_it_refuses_a_pushed_request_whose_dpop_jkt_is_not_its_proofs_key(client):
    realm = make_realm()
    make_web_client(realm, scopes=("openid",))

    pushed = push(client, realm, DPoPKey(), dpop_jkt=DPoPKey().jkt)

    assert_refused(pushed)


def test_it_refuses_a_pushed_request_with_a_bad_proof(client):
    realm = make_realm()
    make_web_client(realm, scopes=("openid",))
    key = DPoPKey()
    headers = {
        "HTTP_AUTHORIZATION": basic("app", SECRET),
        "HTTP_DPOP": key.proof(url(realm, "token")),  # made for another endpoint
    }

    response = post_form(
        client, endpoint(realm, "ext/par/request"), {"response_type": "code"}, **headers
    )

    assert_refused(response)


# --- the device grant, token exchange ----------------------------------------------------------
def test_it_binds_the_tokens_of_the_device_grant(client):
    from authserver.device.models import DeviceAuthorization
    from tests.protocol.helpers import login

    realm = make_realm()
    make_user(realm, "alice")
    attributes = {"oauth2.device.authorization.grant.enabled": "true", **REQUIRED}
    make_web_client(realm, "tv", scopes=("openid",), attributes=attributes)
    headers = {"HTTP_AUTHORIZATION": basic("tv", SECRET)}
    started = post_form(client, endpoint(realm, "auth/device"), {"scope": "openid"}, **headers)
    body = started.json()
    login(client, realm, "alice")
    page = f"/realms/{realm.name}/device"
    client.post(page, {"user_code": body["user_code"]})
    client.post(page, {"user_code": body["user_code"], "decision": "allow"})
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}
    form["device_code"] = body["device_code"]
    key = DPoPKey()

    assert_refused(post_form(client, endpoint(realm, "token"), form, **headers))
    DeviceAuthorization.objects.update(last_poll=None)
    proof = key.proof(url(realm, "token"))
    response = post_form(client, endpoint(realm, "token"), form, HTTP_DPOP=proof, **headers)

    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    assert verify(client, realm, response.json()["access_token"])["cnf"] == {"jkt": key.jkt}
    # A confidential client's refresh token is not bound (§5).
    assert "cnf" not in refresh_claims(response.json()["refresh_token"])


def test_it_exchanges_a_bound_token_and_binds_the_new_one_to_the_exchangers_own_proof(client):
    from tests.protocol.helpers import scope_with_audience

    realm = make_realm()
    user = make_user(realm, "alice")
    app = make_web_client(realm, public=True)
    app.default_client_scopes.add(scope_with_audience(realm, "orders:write", "orders"))
    subject = exchange(client, realm, get_code(client, realm, user), DPoPKey()).json()
    orders = make_machine_client(
        realm,
        "orders-service",
        attributes={
            "token.exchange.audiences": "payments",
            "token.exchange.subject.audiences": "orders",
            "token.exchange.scopes": "payments:write=orders:write",
        },
    )
    orders.default_client_scopes.add(scope_with_audience(realm, "payments:write", "payments"))
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject["access_token"],
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "audience": "payments",
    }
    headers = {"HTTP_AUTHORIZATION": basic("orders-service", SECRET)}

    # The service the bound token was sent to exchanges it without the user's key...
    plain = post_form(client, endpoint(realm, "token"), form, **headers)
    assert plain.status_code == 200, plain.content
    assert plain.json()["token_type"] == "Bearer"
    assert "cnf" not in verify(client, realm, plain.json()["access_token"])
    # ...and with a proof of its own key gets a token bound to that key.
    own = DPoPKey()
    proof = own.proof(url(realm, "token"))
    bound = post_form(client, endpoint(realm, "token"), form, HTTP_DPOP=proof, **headers)
    assert bound.status_code == 200, bound.content
    assert bound.json()["token_type"] == "DPoP"
    claims = verify(client, realm, bound.json()["access_token"])
    assert claims["cnf"] == {"jkt": own.jkt}
    assert claims["sub"] == str(user.subject)


# --- logout by refresh token ---------------------------------------------------------------------
def test_it_logs_out_by_a_bound_refresh_token_only_with_a_proof_of_its_key(client):
    realm = make_realm()
    key = DPoPKey()
    body = _code_flow(client, realm, public=True, key=key).json()
    form = {"client_id": "app", "refresh_token": body["refresh_token"]}
    logout_url = url(realm, "logout")

    without = post_form(client, endpoint(realm, "logout"), form)
    thief = post_form(
        client, endpoint(realm, "logout"), form, HTTP_DPOP=DPoPKey().proof(logout_url)
    )
    for refused in (without, thief):
        assert refused.status_code == 400, refused.content
        assert refused.json()["error"] == "invalid_dpop_proof"
        assert "no-store" in refused["Cache-Control"]
    # The session lives on: the holder of the key still refreshes, and logs out with a proof.
    renewed = refresh_with(client, realm, body["refresh_token"], key)
    assert renewed.status_code == 200, renewed.content
    form["refresh_token"] = renewed.json()["refresh_token"]
    done = post_form(client, endpoint(realm, "logout"), form, HTTP_DPOP=key.proof(logout_url))
    assert done.status_code == 204, done.content
    assert_refused(refresh_with(client, realm, form["refresh_token"], key), "invalid_grant")
