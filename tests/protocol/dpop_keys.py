"""A DPoP client's key pair, and the proofs it signs (RFC 9449 §4), as a client library does."""

import base64
import hashlib
import json
import time
import uuid

from jwcrypto import jwk
from jwcrypto.jwa import JWA

from tests.protocol.helpers import REDIRECT_URI, SECRET, VERIFIER, basic, endpoint, post_form


def url(realm, name: str) -> str:
    """The URL a proof names: the public one, under the issuer (AUTHSERVER_URL), whatever host
    the test client sends."""
    return f"{realm.issuer}/protocol/openid-connect/{name}"


def ath(token: str) -> str:
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class DPoPKey:
    def __init__(self, alg: str = "ES256", **generate):
        self.alg = alg
        if not generate:
            generate = {"kty": "EC", "crv": "P-256"} if alg.startswith("ES") else {}
        if not generate:
            generate = {"kty": "RSA", "size": 2048}
        self.key = jwk.JWK.generate(**generate)

    @property
    def public(self) -> dict:
        return json.loads(self.key.export_public())

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def proof(
        self,
        htu: str,
        htm: str = "POST",
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
        jti: str | None = None,
        header: dict | None = None,
        claims: dict | None = None,
        key=None,
    ) -> str:
        body = {
            "jti": jti or str(uuid.uuid4()),
            "htm": htm,
            "htu": htu,
            "iat": int(time.time() if iat is None else iat),
        }
        if access_token is not None:
            body["ath"] = ath(access_token)
        if nonce is not None:
            body["nonce"] = nonce
        body |= claims or {}
        protected = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public} | (header or {})
        protected = {name: value for name, value in protected.items() if value is not None}
        # Signed by hand, with the key's own algorithm whatever the header says (a header
        # that lies is what some tests need); "none" gets no signature at all.
        signing_input = f"{_b64(json.dumps(protected))}.{_b64(json.dumps(body))}"
        if protected.get("alg") == "none":
            return signing_input + "."
        alg = self.alg if key is None else protected["alg"]
        signature = JWA.signing_alg(alg).sign(key or self.key, signing_input.encode())
        return f"{signing_input}.{_b64(signature)}"


def _b64(value) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- token requests of the client ``app`` with proofs ------------------------------------------
def token_request(http, realm, form: dict, key=None, *, public=True, **proof):
    """A token request of the client ``app``, with a proof of ``key`` when given."""
    headers = {}
    if key is not None:
        headers["HTTP_DPOP"] = key.proof(url(realm, "token"), **proof)
    if public:
        form = {**form, "client_id": "app"}
    else:
        headers["HTTP_AUTHORIZATION"] = basic("app", SECRET)
    return post_form(http, endpoint(realm, "token"), form, **headers)


def exchange(http, realm, code, key=None, *, public=True, **proof):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    return token_request(http, realm, form, key, public=public, **proof)


def refresh_with(http, realm, token, key=None, *, public=True):
    form = {"grant_type": "refresh_token", "refresh_token": token}
    return token_request(http, realm, form, key, public=public)
