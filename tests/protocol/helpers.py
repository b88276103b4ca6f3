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
    parsed = jwt.JWT(jwt=token, key=keys, algs=["RS256", "ES256", "PS256"], expected_type="JWS")
    header = json.loads(parsed.header)
    if typ is not None:
        assert header["typ"] == typ
    return json.loads(parsed.claims)


def refresh_claims(token: str) -> dict:
    """A refresh token's claims, read as a client reads them: it cannot verify them (they are
    signed with the server's own HMAC key, as Keycloak's are) and need not."""
    header, payload, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    return json.loads(base64.urlsafe_b64decode(payload + "=="))


def make_machine_client(realm, client_id="machine", **fields):
    service_account = User.objects.create_user(f"service-account-{client_id}", None, realm=realm)
    fields.setdefault("service_accounts_enabled", True)
    fields.setdefault("standard_flow_enabled", False)
    client = make_client(realm, client_id, secret=SECRET, service_account=service_account, **fields)
    return client


def scope_with_audience(realm, name, audience):
    return make_scope(realm, name, audience=audience)


def post_form(http, url: str, data: dict | list[tuple[str, str]], **headers):
    """A POST as OAuth clients send it: application/x-www-form-urlencoded; pairs may repeat a
    name."""
    from urllib.parse import urlencode

    return http.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", **headers
    )


def assert_invalid_grant(response):
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"
    assert response["Cache-Control"] == "no-store"


def revoke(http, realm, token, client_id="machine", secret=SECRET, **form):
    """RFC 7009 revocation by a confidential client."""
    return post_form(
        http,
        endpoint(realm, "revoke"),
        {"token": token, **form},
        HTTP_AUTHORIZATION=basic(client_id, secret),
    )


def introspect(http, realm, token, client_id="machine") -> dict:
    """RFC 7662 introspection by a confidential client; the answer must be 200."""
    response = post_form(
        http,
        endpoint(realm, "token/introspect"),
        {"token": token},
        HTTP_AUTHORIZATION=basic(client_id, SECRET),
    )
    assert response.status_code == 200, response.content
    return response.json()


def userinfo_status(http, realm, token) -> int:
    return http.get(endpoint(realm, "userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}").status_code


# --- browser flows: the authorization endpoint ------------------------------------------------
REDIRECT_URI = "https://app.example/callback"
VERIFIER = "correct-horse-battery-staple-" + "v" * 30


def s256(verifier: str) -> str:
    """RFC 7636 §4.2 code_challenge for ``verifier``."""
    import hashlib

    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_web_client(realm, client_id="app", *, public=False, scopes=(), **fields):
    """A client of the authorization-code flow; built-in or realm scopes named in ``scopes``
    become its default scopes."""
    from accounts.models import ClientScope
    from authserver.models import Client

    fields.setdefault("redirect_uris", REDIRECT_URI)
    if public:
        fields["client_type"] = Client.CLIENT_PUBLIC
    client = make_client(realm, client_id, secret=SECRET, **fields)
    if scopes:
        client.default_client_scopes.add(*ClientScope.objects.filter(realm=realm, name__in=scopes))
    return client


def authorize_url(realm, **params) -> str:
    from urllib.parse import urlencode

    return endpoint(realm, "auth") + "?" + urlencode(params)


def authorize_params(client_id="app", *, verifier=VERIFIER, **params) -> dict:
    """A valid authorization request: code, PKCE S256, the default redirect URI, a state."""
    query = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "st-123",
    }
    if verifier:
        query |= {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    query.update(params)
    return {name: value for name, value in query.items() if value is not None}


def login(http, realm, username, password=None, next_url=None):
    """POST the realm's login form, as the browser does."""
    from tests.factories import PASSWORD

    data = {"username": username, "password": password or PASSWORD}
    if next_url:
        data["next"] = next_url
    return http.post(f"/realms/{realm.name}/login", data)


def redirect_params(response) -> dict:
    """The parameters of a redirect to the client (asserting it is one)."""
    from urllib.parse import parse_qs, urlsplit

    assert response.status_code == 302, (response.status_code, response.content[:500])
    location = urlsplit(response["Location"])
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def authorize_and_get_code(http, realm, user=None, client_id="app", **params) -> str:
    """The code of a successful authorization: logs ``user`` in first when the browser has no
    session in ``realm``, then follows the authorization endpoint's redirect to the client."""
    from urllib.parse import parse_qs, urlsplit

    url = authorize_url(realm, **authorize_params(client_id, **params))
    response = http.get(url)
    if response.status_code == 302 and response["Location"].startswith(
        f"/realms/{realm.name}/login"
    ):
        assert user is not None, "the browser is not logged in and no user was given"
        next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
        response = login(http, realm, user.username, next_url=next_url)
        assert response.status_code == 302, response.content[:500]
        response = http.get(response["Location"])
    answer = redirect_params(response)
    assert response["Location"].startswith(params.get("redirect_uri", REDIRECT_URI))
    assert answer["iss"] == realm.issuer
    assert "error" not in answer, answer
    return answer["code"]


def exchange_code(http, realm, code, *, client_id="app", secret=SECRET, verifier=VERIFIER, **form):
    """POST the code to the token endpoint (client_secret_basic unless ``secret`` is None)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier:
        data["code_verifier"] = verifier
    data.update(form)
    headers = {}
    if secret is None:
        data.setdefault("client_id", client_id)
    else:
        headers["HTTP_AUTHORIZATION"] = basic(client_id, secret)
    data = {name: value for name, value in data.items() if value is not None}
    return post_form(http, endpoint(realm, "token"), data, **headers)


def refresh(http, realm, refresh_token, *, client_id="app", secret=SECRET, **form):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **form}
    headers = {}
    if secret is None:
        data["client_id"] = client_id
    else:
        headers["HTTP_AUTHORIZATION"] = basic(client_id, secret)
    return post_form(http, endpoint(realm, "token"), data, **headers)


def tokens_for(http, realm, user, client_id="app", **params) -> dict:
    """The token response of a whole code flow (log in, authorize, exchange)."""
    code = authorize_and_get_code(http, realm, user, client_id, **params)
    response = exchange_code(http, realm, code, client_id=client_id)
    assert response.status_code == 200, response.content
    return response.json()


# --- concurrency: each call in its own thread, with its own database connection --------------
def run_together(*calls):
    """Run the calls at once, each in its own thread with its own database connection."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _postgres_only():
    import pytest
    from django.db import connection

    return pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    )


postgres_only = _postgres_only()
