"""An authorization server in a dict: its discovery document and JWKS served through an
injected fetch, tokens signed with jwcrypto (another implementation than the one under test),
and a clock the test moves by hand. No network."""

import base64
import json
import time
import uuid

from jwcrypto import jwk
from jwcrypto.jwa import JWA

from resource_server.auth import BearerValidator, Issuer
from resource_server.auth.http import FetchError, Response

ISSUER = "https://auth.example.test/realms/shop"
AUDIENCE = "orders"


class Clock:
    def __init__(self, now: float | None = None):
        self.now = float(now if now is not None else int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def rsa_key(kid: str | None = None, alg: str | None = "RS256") -> jwk.JWK:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    return _named(key, kid, alg)


def ec_key(kid: str | None = None, alg: str | None = "ES256") -> jwk.JWK:
    return _named(jwk.JWK.generate(kty="EC", crv="P-256"), kid, alg)


def _named(key: jwk.JWK, kid, alg) -> jwk.JWK:
    members = key.export(as_dict=True)
    members["kid"] = kid or key.thumbprint()
    if alg:
        members["alg"] = alg
    return jwk.JWK(**members)


class FakeAuthorizationServer:
    """Serves discovery and the JWKS of ``keys``; records every URL fetched."""

    def __init__(self, *keys: jwk.JWK, issuer: str = ISSUER, algorithms=("RS256", "ES256")):
        self.issuer = issuer
        self.keys = list(keys)
        self.algorithms = list(algorithms)
        self.fetched: list[str] = []
        self.down = False
        self.extra: dict[str, Response] = {}

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_uri,
            "token_endpoint": f"{self.issuer}/protocol/openid-connect/token",
            "introspection_endpoint": f"{self.issuer}/protocol/openid-connect/token/introspect",
            "id_token_signing_alg_values_supported": self.algorithms,
        }

    def fetch(self, method, url, **kwargs) -> Response:
        self.fetched.append(url)
        if self.down:
            raise FetchError("connection refused")
        if url == f"{self.issuer}/.well-known/openid-configuration":
            return _json(self.discovery())
        if url == self.jwks_uri:
            return _json({"keys": [key.export_public(as_dict=True) for key in self.keys]})
        if url in self.extra:
            return self.extra[url]
        return Response(404, b"{}")

    def count(self, url: str) -> int:
        return self.fetched.count(url)


def _json(document) -> Response:
    return Response(200, json.dumps(document).encode(), {"content-type": "application/json"})


def claims(clock: Clock, **overrides) -> dict:
    """An RFC 9068 access token's claims, valid for the fake issuer and AUDIENCE."""
    now = int(clock())
    found = {
        "iss": ISSUER,
        "sub": "a3c70e94-b2c7-4444-89e6-46fe23aad6a5",
        "aud": [AUDIENCE],
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "typ": "Bearer",
        "azp": "web",
        "client_id": "web",
        "scope": "openid orders:read",
        "preferred_username": "bob",
        "realm_access": {"roles": ["user"]},
        "resource_access": {"web": {"roles": ["viewer"]}},
    }
    found.update(overrides)
    return {name: value for name, value in found.items() if value is not None}


def sign(key: jwk.JWK, body: dict, **header) -> str:
    """A compact JWS of ``body`` signed by ``key`` with jwcrypto's algorithms; the header
    defaults to the key's alg and kid and typ at+jwt, a value None leaves a member out. Built
    by hand so that any header (crit, jku, an HMAC alg) can be signed."""
    members = key.export(as_dict=True)
    protected = {"alg": members.get("alg", "RS256"), "kid": members.get("kid"), "typ": "at+jwt"}
    protected.update(header)
    protected = {name: value for name, value in protected.items() if value is not None}
    signing_input = f"{b64(json.dumps(protected).encode())}.{b64(json.dumps(body).encode())}"
    signature = JWA.signing_alg(protected["alg"]).sign(key, signing_input.encode())
    return f"{signing_input}.{b64(signature)}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def validator(server: FakeAuthorizationServer, clock: Clock, **options) -> BearerValidator:
    issuer = Issuer(
        server.issuer,
        fetch=server.fetch,
        clock=clock,
        min_refresh_seconds=options.pop("min_refresh_seconds", 10),
    )
    options.setdefault("leeway_seconds", 30)
    return BearerValidator(issuer, audience=AUDIENCE, clock=clock, **options)
