import pytest

from tests.factories import make_client, make_realm
from tests.protocol.helpers import SECRET, basic, endpoint, make_machine_client, post_form
from tests.protocol.issued import service_token

pytestmark = pytest.mark.django_db

SPA = "https://spa.example"


def origin(value: str) -> dict:
    return {"Origin": value}


def preflight(http, url, from_origin, method="POST"):
    return http.options(
        url,
        headers={
            "Origin": from_origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part}


def token_request(http, realm, from_origin):
    return post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
        HTTP_ORIGIN=from_origin,
    )


def test_it_answers_the_preflight_of_a_web_origin(client):
    realm = make_realm()
    make_client(realm, "spa", client_type="public", allowed_origins=SPA)

    response = preflight(client, endpoint(realm, "token"), SPA)

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SPA
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Authorization, Content-Type, DPoP"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "origin" in vary(response)
    assert "Access-Control-Allow-Credentials" not in response


def test_it_allows_a_web_origin_to_read_the_token_response(client):
    realm = make_realm()
    make_machine_client(realm, allowed_origins=SPA)

    response = token_request(client, realm, SPA)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    assert "origin" in vary(response)


def test_it_allows_the_web_origins_of_any_client_of_the_realm(client):
    realm = make_realm()
    make_machine_client(realm)
    make_client(realm, "spa", client_type="public", allowed_origins=f"http://localhost:5173 {SPA}")

    assert token_request(client, realm, SPA)["Access-Control-Allow-Origin"] == SPA
    allowed = token_request(client, realm, "http://localhost:5173")
    assert allowed["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_it_takes_plus_for_the_origins_of_the_redirect_uris(client):
    realm = make_realm()
    make_client(
        realm,
        "spa",
        client_type="public",
        redirect_uris="https://spa.example/callback http://127.0.0.1:8080/cb",
        allowed_origins="+",
    )
    for allowed in (SPA, "http://127.0.0.1:8080"):
        response = preflight(client, endpoint(realm, "token"), allowed)
        assert response["Access-Control-Allow-Origin"] == allowed


def test_it_keeps_the_error_readable_by_an_allowed_origin(client):
    realm = make_realm()
    make_client(realm, "spa", client_type="public", allowed_origins=SPA)

    response = client.get(endpoint(realm, "userinfo"), headers=origin(SPA))

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == SPA
    assert response["Access-Control-Expose-Headers"] == "WWW-Authenticate, DPoP-Nonce"


def test_it_allows_a_web_origin_at_userinfo(client):
    realm = make_realm()
    make_machine_client(realm, allowed_origins=SPA)
    token = service_token(client, realm, scope="openid")

    response = client.get(
        endpoint(realm, "userinfo"), headers={"Origin": SPA, "Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    assert "origin" in vary(response)
    allowed = preflight(client, endpoint(realm, "userinfo"), SPA, method="GET")
    assert allowed["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"


def test_it_allows_a_web_origin_at_revocation(client):
    realm = make_realm()
    make_client(realm, "spa", client_type="public", allowed_origins=SPA)
    assert preflight(client, endpoint(realm, "revoke"), SPA)["Access-Control-Allow-Origin"] == SPA
    response = post_form(
        client, endpoint(realm, "revoke"), {"token": "x", "client_id": "spa"}, HTTP_ORIGIN=SPA
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA


@pytest.mark.parametrize(
    "stranger",
    [
        "https://evil.example",
        "https://spa.example.evil.example",
        "http://spa.example",
        "https://spa.example:8443",
        "https://spa.example/",
        "https://SPA.example",
        "null",
        "*",
        "",
    ],
)
def test_it_does_not_allow_any_other_origin(client, stranger):
    realm = make_realm()
    make_machine_client(realm, allowed_origins=SPA)

    answered = preflight(client, endpoint(realm, "token"), stranger)
    response = token_request(client, realm, stranger)

    for each in (answered, response):
        assert "Access-Control-Allow-Origin" not in each
        assert "origin" in vary(each)
    assert "Access-Control-Allow-Methods" not in answered
    assert response.status_code == 200  # CORS is the browser's business; the answer is the same


def test_it_does_not_allow_the_origins_of_another_realm(client):
    realm_a, realm_b = make_realm(), make_realm()
    make_client(realm_a, "spa", client_type="public", allowed_origins=SPA)
    make_machine_client(realm_b)

    assert "Access-Control-Allow-Origin" not in preflight(client, endpoint(realm_b, "token"), SPA)
    assert "Access-Control-Allow-Origin" not in token_request(client, realm_b, SPA)
    userinfo = client.get(endpoint(realm_b, "userinfo"), headers=origin(SPA))
    assert "Access-Control-Allow-Origin" not in userinfo


def test_it_ignores_the_origins_of_a_disabled_client(client):
    realm = make_realm()
    make_client(realm, "spa", client_type="public", allowed_origins=SPA, enabled=False)
    response = preflight(client, endpoint(realm, "token"), SPA)
    assert "Access-Control-Allow-Origin" not in response


def test_it_sends_no_cors_headers_without_an_origin(client):
    realm = make_realm()
    make_machine_client(realm, allowed_origins=SPA)
    response = post_form(
        client,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/realms/{name}/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/realms/{name}",
        "/realms/{name}/protocol/openid-connect/certs",
        "/realms/{name}",
    ],
)
def test_it_lets_only_registered_origins_read_the_public_documents(client, path):
    realm = make_realm()
    make_machine_client(realm, allowed_origins=SPA)
    url = path.format(name=realm.name)

    response = client.get(url, headers=origin(SPA))
    stranger = client.get(url, headers=origin("https://anyone.example"))
    answered = preflight(client, url, SPA, method="GET")
    cached = client.get(url, headers={"If-None-Match": response["ETag"], **origin(SPA)})

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    assert "origin" in vary(response)
    assert stranger.status_code == 200
    assert "Access-Control-Allow-Origin" not in stranger
    assert answered.status_code == 204
    assert answered["Access-Control-Allow-Origin"] == SPA
    assert answered["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert cached.status_code == 304
    assert cached["Access-Control-Allow-Origin"] == SPA


def test_it_does_not_open_introspection_to_browsers(client):
    realm = make_realm()
    make_machine_client(realm, allowed_origins=SPA)
    response = post_form(
        client,
        endpoint(realm, "token/introspect"),
        {"token": "x"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
        HTTP_ORIGIN=SPA,
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert (
        client.options(endpoint(realm, "token/introspect"), headers=origin(SPA)).status_code == 405
    )


# --- credentialed CORS: keycloak-js sends its token requests with the browser's credentials ---
OTHER = "https://other.example"


def public_token_request(http, realm, from_origin, client_id="spa"):
    return post_form(
        http,
        endpoint(realm, "token"),
        {
            "grant_type": "authorization_code",
            "code": "no-such-code",
            "redirect_uri": "https://spa.example/app",
            "code_verifier": "v" * 43,
            "client_id": client_id,
        },
        HTTP_ORIGIN=from_origin,
    )


def realm_with_spa():
    realm = make_realm()
    make_client(realm, "spa", client_type="public", secret="", allowed_origins=SPA)
    make_client(realm, "other", client_type="public", secret="", allowed_origins=OTHER)
    return realm


def test_it_lets_the_clients_web_origin_read_the_token_response_with_credentials(client):
    realm = realm_with_spa()

    response = public_token_request(client, realm, SPA)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response["Access-Control-Allow-Origin"] == SPA
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "origin" in vary(response)


def test_it_gives_no_credentials_to_an_unregistered_origin(client):
    realm = realm_with_spa()

    response = public_token_request(client, realm, "https://evil.example")

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


def test_it_gives_no_credentials_to_the_origin_of_another_client(client):
    realm = realm_with_spa()

    response = public_token_request(client, realm, OTHER)

    assert response["Access-Control-Allow-Origin"] == OTHER
    assert "Access-Control-Allow-Credentials" not in response


def test_it_gives_no_credentials_for_an_unknown_client(client):
    realm = realm_with_spa()

    response = public_token_request(client, realm, SPA, client_id="nobody")

    assert "Access-Control-Allow-Credentials" not in response


def test_it_gives_no_credentials_to_a_web_origin_of_another_realm(client):
    realm_with_spa()
    charlie = make_realm()

    response = public_token_request(client, charlie, SPA)

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


def test_it_lets_the_token_holders_web_origin_read_userinfo_with_credentials(client):
    from tests.factories import make_user
    from tests.protocol.helpers import make_web_client, tokens_for

    realm = make_realm()
    make_web_client(realm, allowed_origins=SPA, scopes=["openid"])
    make_client(realm, "other", client_type="public", secret="", allowed_origins=OTHER)
    token = tokens_for(client, realm, make_user(realm), scope="openid")["access_token"]

    def userinfo_from(from_origin):
        return client.get(
            endpoint(realm, "userinfo"),
            headers={"Origin": from_origin, "Authorization": f"bearer {token}"},
        )

    allowed = userinfo_from(SPA)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == SPA
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    other = userinfo_from(OTHER)
    assert other["Access-Control-Allow-Origin"] == OTHER
    assert "Access-Control-Allow-Credentials" not in other
    assert "Access-Control-Allow-Origin" not in userinfo_from("https://evil.example")


def test_it_lets_the_clients_web_origin_read_the_logout_answer_with_credentials(client):
    realm = realm_with_spa()
    url = endpoint(realm, "logout") + "?client_id=spa"

    allowed = client.get(url, headers={"Origin": SPA})
    assert allowed["Access-Control-Allow-Origin"] == SPA
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    other = client.get(url, headers={"Origin": OTHER})
    assert "Access-Control-Allow-Credentials" not in other
    unknown = client.get(url, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in unknown
    assert "Access-Control-Allow-Credentials" not in unknown
