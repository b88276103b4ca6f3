"""DPoP-bound tokens at the resource server (RFC 9449 §7): the validator checks the proof that
comes with the token, and the services' middleware answers in the DPoP scheme."""

import pytest
from jwcrypto import jwk

from resource_server.auth import InvalidDPoPProof, InvalidToken, ProofRequest
from resource_server.auth.cache import TTLCache
from resource_server.auth.dpop import ProofChecker, thumbprint
from tests.protocol.dpop_keys import DPoPKey
from tests.resource_server.fakes import claims, sign
from tests.resource_server.fakes import validator as make_validator

URL = "https://api.example.test/api/read"


@pytest.fixture
def check(authorization_server, clock):
    proofs = ProofChecker(replay_cache=TTLCache(clock=clock), clock=clock)
    return make_validator(authorization_server, clock, proofs=proofs)


@pytest.fixture
def holder():
    return DPoPKey()


def bound_token(signing_key, clock, key: DPoPKey, **overrides) -> str:
    return sign(signing_key, claims(clock, cnf={"jkt": key.jkt}, **overrides))


def request_for(key, token, clock, *, method="GET", url=URL, **proof) -> ProofRequest:
    proof.setdefault("iat", clock())
    return ProofRequest(key.proof(url, method, access_token=token, **proof), method, url)


# --- the validator ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("alg", "parameters"),
    [
        ("ES256", {"kty": "EC", "crv": "P-256"}),
        ("ES384", {"kty": "EC", "crv": "P-384"}),
        ("ES512", {"kty": "EC", "crv": "P-521"}),
        ("PS256", {"kty": "RSA", "size": 2048}),
        ("RS384", {"kty": "RSA", "size": 2048}),
        ("EdDSA", {"kty": "OKP", "crv": "Ed25519"}),
    ],
)
def test_it_accepts_a_bound_token_with_a_proof_of_its_key(
    check, signing_key, clock, alg, parameters
):
    key = DPoPKey(alg, **parameters)
    token = bound_token(signing_key, clock, key)

    principal = check.validate(token, dpop=request_for(key, token, clock))

    assert principal.claims["cnf"] == {"jkt": key.jkt}


def test_it_computes_rfc_7638_thumbprints():
    for parameters in (
        {"kty": "EC", "crv": "P-256"},
        {"kty": "RSA"},
        {"kty": "OKP", "crv": "Ed448"},
    ):
        key = jwk.JWK.generate(**parameters)
        assert thumbprint(key.export_public(as_dict=True)) == key.thumbprint()


def test_it_refuses_a_bound_token_presented_as_a_bearer_token(check, signing_key, clock, holder):
    with pytest.raises(InvalidToken) as refused:
        check.validate(bound_token(signing_key, clock, holder))
    assert "DPoP scheme" in refused.value.description


def test_it_refuses_an_unbound_token_presented_with_dpop(check, signing_key, clock, holder):
    token = sign(signing_key, claims(clock))

    with pytest.raises(InvalidToken) as refused:
        check.validate(token, dpop=request_for(holder, token, clock))
    assert not isinstance(refused.value, InvalidDPoPProof)


def test_it_refuses_a_bound_token_without_a_proof(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)

    with pytest.raises(InvalidDPoPProof):
        check.validate(token, dpop=ProofRequest(None, "GET", URL))


def test_it_refuses_a_replayed_proof(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)
    request = request_for(holder, token, clock)
    check.validate(token, dpop=request)

    with pytest.raises(InvalidDPoPProof) as refused:
        check.validate(token, dpop=request)
    assert "used before" in refused.value.description


def test_it_refuses_a_proof_of_another_key(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)

    with pytest.raises(InvalidDPoPProof) as refused:
        check.validate(token, dpop=request_for(DPoPKey(), token, clock))
    assert "not the one the access token is bound to" in refused.value.description


@pytest.mark.parametrize(
    "change",
    [
        {"method": "POST"},
        {"url": "https://api.example.test/api/write"},
        {"url": "https://elsewhere.example.test/api/read"},
        {"iat": -300},
        {"iat": +300},
        {"access_token": "another token"},
    ],
    ids=["htm", "htu-path", "htu-host", "stale", "future", "ath"],
)
def test_it_refuses_a_proof_made_for_another_request(check, signing_key, clock, holder, change):
    token = bound_token(signing_key, clock, holder)
    proof = holder.proof(
        change.get("url", URL),
        change.get("method", "GET"),
        access_token=change.get("access_token", token),
        iat=clock() + change.get("iat", 0),
    )

    with pytest.raises(InvalidDPoPProof):
        check.validate(token, dpop=ProofRequest(proof, "GET", URL))


def test_it_ignores_query_fragment_and_default_port_in_htu(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)
    proof = holder.proof("HTTPS://API.example.test:443/api/read?x=1#y", "GET", access_token=token)

    check.validate(token, dpop=ProofRequest(proof, "GET", URL + "?page=2"))


def test_it_refuses_a_proof_signed_with_a_symmetric_algorithm(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)
    secret = jwk.JWK.generate(kty="oct", size=256)
    proof = holder.proof(
        URL,
        "GET",
        access_token=token,
        header={"alg": "HS256", "jwk": {"kty": "oct", "k": secret.export_symmetric()}},
        key=secret,
    )

    with pytest.raises(InvalidDPoPProof) as refused:
        check.validate(token, dpop=ProofRequest(proof, "GET", URL))
    assert "asymmetric" in refused.value.description


def test_it_refuses_a_proof_carrying_a_private_key(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)
    private = holder.key.export_private(as_dict=True)
    proof = holder.proof(URL, "GET", access_token=token, header={"jwk": private})

    with pytest.raises(InvalidDPoPProof) as refused:
        check.validate(token, dpop=ProofRequest(proof, "GET", URL))
    assert "public key" in refused.value.description


@pytest.mark.parametrize(
    "header",
    [{"typ": "JWT"}, {"alg": "ES384"}, {"jwk": None}, {"crit": ["x"]}],
    ids=["typ", "alg-for-another-curve", "no-jwk", "crit"],
)
def test_it_refuses_a_proof_with_a_bad_header(check, signing_key, clock, holder, header):
    token = bound_token(signing_key, clock, holder)
    proof = holder.proof(URL, "GET", access_token=token, header=header)

    with pytest.raises(InvalidDPoPProof):
        check.validate(token, dpop=ProofRequest(proof, "GET", URL))


@pytest.mark.parametrize("proof", ["", "garbage", "a.b.c", "x" * 9000])
def test_it_refuses_a_proof_that_is_no_jwt(check, signing_key, clock, holder, proof):
    token = bound_token(signing_key, clock, holder)

    with pytest.raises(InvalidDPoPProof):
        check.validate(token, dpop=ProofRequest(proof, "GET", URL))


def test_it_refuses_a_proof_signed_by_another_key_than_its_jwk(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)
    proof = holder.proof(URL, "GET", access_token=token, key=DPoPKey().key)

    with pytest.raises(InvalidDPoPProof):
        check.validate(token, dpop=ProofRequest(proof, "GET", URL))


# --- the services' middleware -------------------------------------------------------------------
def dpop_headers(key, token, clock, *, method="GET", url="http://testserver/api/read"):
    return {
        "HTTP_AUTHORIZATION": f"DPoP {token}",
        "HTTP_DPOP": key.proof(url, method, access_token=token, iat=clock()),
    }


@pytest.fixture
def dpop_service(service, monkeypatch, authorization_server, clock):
    """The services' middleware with a validator whose proofs share one replay cache."""
    from resource_server import wiring

    proofs = ProofChecker(replay_cache=TTLCache(clock=clock), clock=clock)
    check = make_validator(authorization_server, clock, proofs=proofs)
    monkeypatch.setattr(wiring, "validator", lambda: check)
    return service


def test_the_service_answers_a_bound_token_with_its_proof(client, dpop_service, signing_key, clock):
    key = DPoPKey()
    token = bound_token(signing_key, clock, key)

    response = client.get("/api/read", **dpop_headers(key, token, clock))

    assert response.status_code == 200, response.content
    assert response.json()["client"] == "web"


def test_the_service_challenges_a_bad_proof_in_the_dpop_scheme(
    client, dpop_service, signing_key, clock
):
    key = DPoPKey()
    token = bound_token(signing_key, clock, key)
    headers = dpop_headers(key, token, clock, method="POST")

    response = client.get("/api/read", **headers)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_dpop_proof"
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('DPoP realm="orders", error="invalid_dpop_proof"')
    assert 'algs="ES256 ' in challenge


def test_the_service_refuses_a_bound_token_as_a_bearer_token(
    client, dpop_service, signing_key, clock
):
    token = bound_token(signing_key, clock, DPoPKey())

    response = client.get("/api/read", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="orders", error="invalid_token"')


def test_the_decorators_answer_in_the_dpop_scheme(client, dpop_service, signing_key, clock):
    key = DPoPKey()
    token = bound_token(signing_key, clock, key, scope="openid")

    response = client.get("/api/read", **dpop_headers(key, token, clock))

    assert response.status_code == 403
    assert response["WWW-Authenticate"].startswith(
        'DPoP realm="orders", error="insufficient_scope"'
    )
    assert 'scope="orders:read"' in response["WWW-Authenticate"]


def test_the_service_checks_htu_against_its_public_url(client, dpop_service, signing_key, clock):
    dpop_service(public_url="https://api.example.test")
    key = DPoPKey()
    token = bound_token(signing_key, clock, key)

    own = client.get("/api/read", **dpop_headers(key, token, clock))
    public = client.get("/api/read", **dpop_headers(key, token, clock, url=URL))

    assert own.status_code == 401
    assert public.status_code == 200, public.content


@pytest.mark.parametrize("authorization", ["DPoP", "DPoP a b"])
def test_the_service_refuses_malformed_dpop_credentials(client, dpop_service, authorization):
    response = client.get("/api/read", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 400
    assert response["WWW-Authenticate"].startswith('DPoP realm="orders", error="invalid_request"')


def test_it_reads_the_proof_type_in_any_case(check, signing_key, clock, holder):
    token = bound_token(signing_key, clock, holder)
    proof = holder.proof(URL, "GET", access_token=token, header={"typ": "DPoP+JWT"})

    check.validate(token, dpop=ProofRequest(proof, "GET", URL))
