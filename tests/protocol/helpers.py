"""What a client does: call the endpoints, verify tokens against the published JWKS."""

import base64
import json
from urllib.parse import quote

from jwcrypto import jwk, jwt

from accounts.models import User
from tests.factories import make_client, make_scope

SECRET = "machine-secret-" + "z" * 30


def endpoint(realm, name: str) -> str:
    return f"/realms/{realm.name}/protocol/openid-connect/{name}"


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def verify(http, realm, token: str, *, typ: str | None = None) -> dict:
    """The claims of ``token``, checked as a relying party would: with the published JWKS."""
    keys = jwk.JWKSet.from_json(http.get(endpoint(realm, "certs")).content.decode())
    parsed = jwt.JWT(jwt=token, key=keys, algs=["RS256", "ES256"], expected_type="JWS")
    header = json.loads(parsed.header)
    if typ is not None:
        assert header["typ"] == typ
    return json.loads(parsed.claims)


def make_machine_client(realm, client_id="machine", **fields):
    service_account = User.objects.create_user(f"service-account-{client_id}", None, realm=realm)
    fields.setdefault("service_accounts_enabled", True)
    fields.setdefault("standard_flow_enabled", False)
    client = make_client(realm, client_id, secret=SECRET, service_account=service_account, **fields)
    return client


def scope_with_audience(realm, name, audience):
    return make_scope(realm, name, audience=audience)


def post_form(http, url: str, data: dict, **headers):
    """A POST as OAuth clients send it: application/x-www-form-urlencoded."""
    from urllib.parse import urlencode

    return http.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", **headers
    )
