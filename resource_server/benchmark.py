"""How many RS256 access tokens one core validates per second, in-process.

    .venv/bin/python -m resource_server.benchmark [--tokens 50000]

A 2048-bit RSA key, a token shaped like the demo realm's, the JWKS served from memory; each
validation does everything a request does (parse, header checks, signature, claim checks, the
principal). CPU time, so that other processes on the machine do not skew it.
"""

import argparse
import base64
import json
import time
import timeit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from resource_server.auth import BearerValidator, Issuer
from resource_server.auth.http import Response

ISSUER = "https://auth.example.com/realms/demo"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _setup() -> tuple[BearerValidator, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "kid": "bench",
        "alg": "RS256",
        "use": "sig",
        "n": _b64(numbers.n.to_bytes(256, "big")),
        "e": _b64(numbers.e.to_bytes(3, "big")),
    }
    documents = {
        f"{ISSUER}/.well-known/openid-configuration": {
            "issuer": ISSUER,
            "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
            "id_token_signing_alg_values_supported": ["RS256"],
        },
        f"{ISSUER}/protocol/openid-connect/certs": {"keys": [jwk]},
    }

    def fetch(method, url, **kwargs):
        return Response(200, json.dumps(documents[url]).encode())

    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "69f07f1a-4083-4926-bd6f-03fe0f85a9ab",
        "aud": ["orders"],
        "exp": now + 3600,
        "iat": now,
        "jti": "3b353981-98de-4374-85bb-caabaf78ef7e",
        "typ": "Bearer",
        "azp": "demo-web",
        "client_id": "demo-web",
        "sid": "8e1b1f7c-1d0e-4c8e-9a43-0d5f4b0e6a11",
        "scope": "openid profile email orders:read orders:write",
        "realm_access": {"roles": ["admin", "user"]},
        "resource_access": {"demo-web": {"roles": ["viewer"]}},
        "preferred_username": "alice",
        "email": "alice@example.com",
        "email_verified": True,
    }
    header = {"alg": "RS256", "kid": "bench", "typ": "at+jwt"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    validator = BearerValidator(Issuer(ISSUER, fetch=fetch), audience="orders")
    return validator, f"{signing_input}.{_b64(signature)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    validator, token = _setup()
    validator.validate(token)  # discovery and JWKS, once
    timer = timeit.Timer(lambda: validator.validate(token), timer=time.process_time)
    best = min(timer.repeat(repeat=options.rounds, number=options.tokens)) / options.tokens
    print(f"RS256 validations: {1 / best:,.0f}/s per core ({best * 1e6:.1f} µs each)")


if __name__ == "__main__":
    main()
