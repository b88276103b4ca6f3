"""The bearer-token validator, against keys generated here and an issuer served from memory."""

import base64
import json
import threading

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwcrypto import jwk

from resource_server.auth import InvalidToken, IssuerUnavailable
from tests.resource_server.fakes import (
    AUDIENCE,
    ISSUER,
    Clock,
    FakeAuthorizationServer,
    b64,
    claims,
    ec_key,
    rsa_key,
    sign,
    validator,
)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def key():
    return rsa_key("key-1")


@pytest.fixture
def server(key):
    return FakeAuthorizationServer(key)


def refused(check, token: str) -> InvalidToken:
    with pytest.raises(InvalidToken) as raised:
        check.validate(token)
    assert raised.value.code == "invalid_token"
    assert raised.value.status == 401
    return raised.value


def test_it_accepts_a_valid_token_and_describes_the_principal(server, key, clock):
    act = {"sub": "service-account-sub", "client_id": "orders-service"}
    token = sign(key, claims(clock, scope="openid orders:read orders:write", act=act))

    principal = validator(server, clock).validate(token)

    assert principal.sub == "a3c70e94-b2c7-4444-89e6-46fe23aad6a5"
    assert principal.username == "bob"
    assert principal.client == "web"
    assert principal.scopes == {"openid", "orders:read", "orders:write"}
    assert principal.roles == {"user"}
    assert principal.has_client_role("web", "viewer")
    assert not principal.has_client_role("other", "viewer")
    assert principal.act == act
    assert principal.actor == "service-account-sub"
    assert principal.actor_client == "orders-service"
    assert principal.token == token
    assert token not in repr(principal)


def test_it_accepts_es256_and_ps256_tokens(clock):
    ec, rsa = ec_key("ec-1"), rsa_key("ps-1", alg="PS256")
    server = FakeAuthorizationServer(ec, rsa, algorithms=["ES256", "PS256"])
    check = validator(server, clock)

    assert check.validate(sign(ec, claims(clock))).sub
    assert check.validate(sign(rsa, claims(clock))).sub


def test_it_refuses_an_expired_token(server, key, clock):
    token = sign(key, claims(clock, exp=int(clock()) - 31))

    error = refused(validator(server, clock), token)

    assert error.description == "the access token expired"


def test_it_tolerates_a_small_clock_skew(server, key, clock):
    check = validator(server, clock, leeway_seconds=30)
    now = int(clock())

    # Expired 29 s ago, not valid for another 29 s, issued 29 s from now: all within the skew.
    assert check.validate(sign(key, claims(clock, exp=now - 29)))
    assert check.validate(sign(key, claims(clock, nbf=now + 29)))
    assert check.validate(sign(key, claims(clock, iat=now + 29)))
    # One second beyond it, each is refused.
    refused(check, sign(key, claims(clock, exp=now - 31)))
    assert refused(check, sign(key, claims(clock, nbf=now + 31))).description == (
        "the access token is not valid yet"
    )
    refused(check, sign(key, claims(clock, iat=now + 31)))


def test_it_has_a_configurable_skew(server, key, clock):
    token = sign(key, claims(clock, exp=int(clock()) - 5))

    refused(validator(server, clock, leeway_seconds=0), token)
    assert validator(server, clock, leeway_seconds=10).validate(token)


def test_it_refuses_a_token_that_expires_while_cached_keys_stay(server, key, clock):
    check = validator(server, clock)
    token = sign(key, claims(clock))
    assert check.validate(token)

    clock.advance(300 + 30)

    refused(check, token)


def test_it_refuses_a_tampered_token(server, key, clock):
    header, _, signature = sign(key, claims(clock)).split(".")
    forged = claims(clock, sub="someone-else", realm_access={"roles": ["admin"]})
    tampered = f"{header}.{b64(json.dumps(forged).encode())}.{signature}"

    error = refused(validator(server, clock), tampered)

    assert "signature" in error.detail
    assert error.description == "the access token is invalid"


def test_it_refuses_a_flipped_signature_bit(server, key, clock):
    header, body, signature = sign(key, claims(clock)).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[-1] ^= 1

    refused(validator(server, clock), f"{header}.{body}.{b64(bytes(raw))}")


def test_it_refuses_alg_none(server, key, clock):
    header = {"alg": "none", "typ": "at+jwt", "kid": "key-1"}
    body = claims(clock)
    for signature in ("", b64(b"anything")):
        token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}.{signature}"
        assert "alg 'none'" in refused(validator(server, clock), token).detail


def test_it_refuses_hs256_signed_with_the_public_key(key, clock):
    # The classic confusion: the RSA public key (PEM, as published) used as an HMAC secret. Even
    # an issuer that lists HS256 among its algorithms does not make us verify an HMAC.
    server = FakeAuthorizationServer(key, algorithms=["RS256", "HS256"])
    pem = key.get_op_key("verify").public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, json.dumps(key.export_public(as_dict=True)).encode()):
        hmac_key = jwk.JWK(kty="oct", k=b64(secret))
        token = sign(hmac_key, claims(clock), alg="HS256", kid="key-1")

        error = refused(validator(server, clock), token)

        assert "HS256" in error.detail


def test_it_refuses_an_algorithm_the_key_does_not_declare(clock):
    # The key is published for RS256 only: a PS256 signature by the same key is refused.
    key = rsa_key("key-1", alg="RS256")
    server = FakeAuthorizationServer(key, algorithms=["RS256", "PS256"])
    token = sign(key, claims(clock), alg="PS256")

    refused(validator(server, clock), token)


def test_it_refuses_an_algorithm_the_issuer_does_not_advertise(clock):
    key = rsa_key("key-1", alg="PS256")
    server = FakeAuthorizationServer(key, algorithms=["RS256"])

    refused(validator(server, clock), sign(key, claims(clock)))


def test_it_refuses_a_foreign_issuer(server, key, clock):
    token = sign(key, claims(clock, iss="https://evil.example.test/realms/shop"))

    error = refused(validator(server, clock), token)

    assert "iss" in error.detail


def test_it_refuses_a_token_signed_by_another_issuers_key_with_a_known_kid(server, clock):
    impostor = rsa_key("key-1")

    refused(validator(server, clock), sign(impostor, claims(clock)))


def test_it_refuses_the_wrong_audience(server, key, clock):
    for aud in (["payments"], "payments", [], None):
        error = refused(validator(server, clock), sign(key, claims(clock, aud=aud)))
        assert error.description == "the access token is not meant for this service"


def test_it_accepts_its_audience_as_a_string_or_among_others(server, key, clock):
    check = validator(server, clock)

    assert check.validate(sign(key, claims(clock, aud=AUDIENCE)))
    assert check.validate(sign(key, claims(clock, aud=["payments", AUDIENCE])))


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+jwt+x", "application/jwt", "ID"])
def test_it_refuses_a_missing_or_other_typ(server, key, clock, typ):
    # typ=None leaves the header out altogether.
    token = sign(key, claims(clock), typ=typ)

    assert "typ" in refused(validator(server, clock), token).detail


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"])
def test_it_accepts_the_access_token_typ_in_any_case(server, key, clock, typ):
    assert validator(server, clock).validate(sign(key, claims(clock), typ=typ))


def test_it_refuses_a_crit_header(server, key, clock):
    token = sign(key, claims(clock), crit=["exp"])

    refused(validator(server, clock), token)


def test_it_ignores_jku_x5u_and_jwk_headers(server, key, clock):
    attacker = rsa_key("attacker-key")
    elsewhere = {
        "jku": "https://evil.example.test/jwks.json",
        "x5u": "https://evil.example.test/cert.pem",
    }
    check = validator(server, clock)

    # A genuine token carrying them is judged on the issuer's keys alone...
    assert check.validate(sign(key, claims(clock), **elsewhere))
    # ...and a token that brings its own key, or points at one, is refused.
    embedded = attacker.export_public(as_dict=True)
    refused(check, sign(attacker, claims(clock), jwk=embedded, **elsewhere))
    refused(check, sign(attacker, claims(clock), kid="key-1", jwk=embedded, **elsewhere))

    assert all(url.startswith(ISSUER) for url in server.fetched)


def test_it_refetches_once_for_an_unknown_kid_then_is_rate_limited(server, key, clock):
    check = validator(server, clock, min_refresh_seconds=10)
    assert check.validate(sign(key, claims(clock)))
    assert server.count(server.jwks_uri) == 1
    stranger = rsa_key("not-published")

    refused(check, sign(stranger, claims(clock)))
    assert server.count(server.jwks_uri) == 2

    # A flood of random kids within the interval costs the issuer nothing more.
    for number in range(50):
        refused(check, sign(stranger, claims(clock), kid=f"random-{number}"))
    assert server.count(server.jwks_uri) == 2

    clock.advance(10)
    refused(check, sign(stranger, claims(clock)))
    assert server.count(server.jwks_uri) == 3


def test_it_picks_up_a_rotated_key_without_a_restart(server, key, clock):
    check = validator(server, clock)
    old_token = sign(key, claims(clock))
    assert check.validate(old_token)

    new_key = rsa_key("key-2")
    server.keys.insert(0, new_key)

    assert check.validate(sign(new_key, claims(clock)))
    assert check.validate(old_token)
    assert server.count(server.jwks_uri) == 2
    # Discovery is fetched once, not with each refetch of the keys.
    assert server.count(f"{ISSUER}/.well-known/openid-configuration") == 1


class _SlowKeys(FakeAuthorizationServer):
    """Its JWKS answers only once ``release`` is set, when ``slow``."""

    def __init__(self, *keys):
        super().__init__(*keys)
        self.slow = False
        self.fetching = threading.Event()
        self.release = threading.Event()

    def fetch(self, method, url, **kwargs):
        if self.slow and url == self.jwks_uri:
            self.fetching.set()
            self.release.wait(10)
        return super().fetch(method, url, **kwargs)


def test_it_lets_every_thread_that_meets_a_new_kid_wait_for_the_one_refetch(key, clock):
    server = _SlowKeys(key)
    check = validator(server, clock)
    assert check.validate(sign(key, claims(clock)))
    new_key = rsa_key("key-2")
    server.keys.insert(0, new_key)
    token = sign(new_key, claims(clock))
    server.slow = True
    outcomes = []

    def validate():
        try:
            outcomes.append(check.validate(token).sub)
        except InvalidToken as error:
            outcomes.append(error)

    first = threading.Thread(target=validate)
    first.start()
    assert server.fetching.wait(10)
    # While the first thread fetches the key set, others meet the same new kid.
    others = [threading.Thread(target=validate) for _ in range(7)]
    for thread in others:
        thread.start()
    threading.Event().wait(0.2)
    server.release.set()
    for thread in [first, *others]:
        thread.join(10)

    assert len(outcomes) == 8
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
    assert server.count(server.jwks_uri) == 2


def test_it_forgets_a_retired_key_after_the_cache_lifetime(server, key, clock):
    check = validator(server, clock)
    token = sign(key, claims(clock, exp=int(clock()) + 3600))
    assert check.validate(token)

    server.keys = [rsa_key("key-2")]
    clock.advance(301)

    refused(check, token)


def test_it_refuses_a_token_without_a_kid_when_several_keys_fit(key, clock):
    server = FakeAuthorizationServer(key, rsa_key("key-2"))

    refused(validator(server, clock), sign(key, claims(clock), kid=None))


def test_it_accepts_a_token_without_a_kid_when_one_key_fits(server, key, clock):
    assert validator(server, clock).validate(sign(key, claims(clock), kid=None))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "e30.e30.",
        "not base64!.e30.e30",
        "eyJhbGciOiJSUzI1NiJ9=.e30.e30",
        "W10.e30.e30",
        "x" * 20_000,
    ],
)
def test_it_refuses_garbage(server, clock, token):
    refused(validator(server, clock), token)


def test_it_refuses_tokens_missing_required_claims(server, key, clock):
    check = validator(server, clock)
    for missing in ("exp", "iat", "sub"):
        refused(check, sign(key, claims(clock, **{missing: None})))
    refused(check, sign(key, claims(clock, client_id=None, azp=None)))
    refused(check, sign(key, claims(clock, exp="tomorrow")))
    refused(check, sign(key, claims(clock, exp=True)))


def test_it_ignores_unusable_keys_in_the_jwks(key, clock):
    small = jwk.JWK.generate(kty="RSA", size=1024, kid="small")
    encryption = rsa_key("enc")
    server = FakeAuthorizationServer(small, key, encryption)
    published = server.fetch
    server.fetch = lambda method, url, **kw: _with_use(published(method, url, **kw), "enc")

    check = validator(server, clock)

    assert check.validate(sign(key, claims(clock)))
    refused(check, sign(small, claims(clock), alg="RS256"))
    refused(check, sign(encryption, claims(clock)))


def _with_use(response, kid):
    """The JWKS with the key ``kid`` marked as an encryption key."""
    from resource_server.auth.http import Response

    if b'"keys"' not in response.body:
        return response
    document = json.loads(response.body)
    for member in document["keys"]:
        if member.get("kid") == kid:
            member["use"] = "enc"
    return Response(200, json.dumps(document).encode())


def test_it_fails_as_unavailable_while_the_issuer_is_down_without_hammering_it(server, clock):
    server.down = True
    check = validator(server, clock, min_refresh_seconds=10)
    key = server.keys[0]

    for _ in range(5):
        with pytest.raises(IssuerUnavailable):
            check.validate(sign(key, claims(clock)))
    assert len(server.fetched) == 1

    server.down = False
    clock.advance(10)
    assert check.validate(sign(key, claims(clock)))


def test_it_keeps_the_cached_keys_when_a_refresh_fails(server, key, clock):
    check = validator(server, clock)
    assert check.validate(sign(key, claims(clock)))

    server.down = True
    clock.advance(301)

    assert check.validate(sign(key, claims(clock)))


def test_it_refuses_a_discovery_document_for_another_issuer(key, clock):
    server = FakeAuthorizationServer(key)
    server.discovery = lambda: {
        "issuer": "https://evil.example.test",
        "jwks_uri": server.jwks_uri,
        "id_token_signing_alg_values_supported": ["RS256"],
    }

    with pytest.raises(IssuerUnavailable):
        validator(server, clock).validate(sign(key, claims(clock)))


def test_it_names_the_client_as_actor_of_a_token_without_act(server, key, clock):
    principal = validator(server, clock).validate(sign(key, claims(clock, client_id=None)))

    # Keycloak's older tokens name the client only in azp.
    assert principal.client == "web"
    assert principal.act is None
    assert principal.actor == "web"
    assert principal.actor_client == "web"


# --- certificate-bound tokens (RFC 8705 §3) ----------------------------------------------------
def test_it_takes_a_bound_token_only_with_its_certificate(server, key, clock):
    from tests import pki

    cert = pki.self_signed("device")
    token = sign(key, claims(clock, cnf={"x5t#S256": cert.thumbprint}))
    check = validator(server, clock)
    assert check.validate(token, certificate=cert.der).sub
    assert check.validate(token, certificate=lambda: cert.der).sub
    for other in (None, pki.self_signed("device").der):
        with pytest.raises(InvalidToken) as raised:
            check.validate(token, certificate=other)
        assert raised.value.code == "invalid_token"
    refused(check, token)  # no certificate at all


def test_it_asks_for_no_certificate_for_an_unbound_token(server, key, clock):
    def never():
        raise AssertionError("the certificate was looked for")

    assert validator(server, clock).validate(sign(key, claims(clock)), certificate=never).sub


def test_it_refuses_a_token_bound_to_what_it_cannot_check(server, key, clock):
    token = sign(key, claims(clock, cnf={"jkt": "a DPoP key's thumbprint"}))
    refused(validator(server, clock), token)
