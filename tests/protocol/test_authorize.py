from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.factories import make_realm, make_user
from tests.protocol.helpers import (
    REDIRECT_URI,
    VERIFIER,
    authorize_and_get_code,
    authorize_params,
    authorize_url,
    endpoint,
    exchange_code,
    login,
    make_web_client,
    redirect_params,
    s256,
    tokens_for,
    verify,
)

pytestmark = pytest.mark.django_db


def login_redirect(response, realm) -> dict:
    """The query of a redirect to the realm's login page (asserting it is one)."""
    assert response.status_code == 302, response.content[:300]
    location = urlsplit(response["Location"])
    assert location.path == f"/realms/{realm.name}/login"
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def assert_error_page(response):
    """RFC 6749 §4.1.2.1: an error shown to the user, never a redirect."""
    assert response.status_code == 400
    assert "Location" not in response
    assert response["Content-Type"].startswith("text/html")
    assert "no-store" in response["Cache-Control"]


def assert_redirected_error(response, error, *, state="st-123", realm):
    answer = redirect_params(response)
    assert response["Location"].startswith(REDIRECT_URI + "?")
    assert answer["error"] == error, answer
    assert answer["iss"] == realm.issuer
    if state is None:
        assert "state" not in answer
    else:
        assert answer["state"] == state
    assert "code" not in answer
    return answer


def logged_in(http, realm, **user_fields):
    user = make_user(realm, **user_fields)
    response = login(http, realm, user.username)
    assert response.status_code == 302
    return user


# --- the happy path --------------------------------------------------------------------------
def test_it_sends_a_browser_without_a_session_to_the_realm_login(client):
    realm = make_realm()
    make_web_client(realm)
    url = authorize_url(realm, **authorize_params())

    response = client.get(url)

    query = login_redirect(response, realm)
    assert urlsplit(query["next"]).path == endpoint(realm, "auth")
    assert parse_qs(urlsplit(query["next"]).query)["state"] == ["st-123"]
    assert "no-store" in response["Cache-Control"]


def test_it_issues_a_code_with_state_and_iss_after_login(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)

    code = authorize_and_get_code(client, realm, user)

    assert len(code) >= 30


def test_it_redirects_with_code_state_and_iss_and_no_cache(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)

    response = client.get(authorize_url(realm, **authorize_params(state="xyz 1/2")))

    answer = redirect_params(response)
    assert set(answer) == {"code", "state", "iss", "session_state"}
    assert answer["state"] == "xyz 1/2"
    assert answer["iss"] == realm.issuer
    assert "no-store" in response["Cache-Control"]


def test_it_keeps_the_query_of_a_registered_redirect_uri(client):
    realm = make_realm()
    logged_in(client, realm)
    registered = "https://app.example/callback?tenant=blue"
    make_web_client(realm, redirect_uris=registered)

    response = client.get(authorize_url(realm, **authorize_params(redirect_uri=registered)))

    answer = redirect_params(response)
    assert response["Location"].startswith(registered + "&")
    assert answer["tenant"] == "blue"
    assert answer["code"]


def test_it_accepts_an_authorization_request_posted_by_another_site(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.cookies = client.cookies

    response = browser.post(endpoint(realm, "auth"), authorize_params())

    assert redirect_params(response)["code"]


def test_it_lets_a_second_client_in_without_a_password(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm, "first", redirect_uris=REDIRECT_URI)
    make_web_client(realm, "second", redirect_uris=REDIRECT_URI)
    authorize_and_get_code(client, realm, user, "first")

    response = client.get(authorize_url(realm, **authorize_params("second")))

    assert redirect_params(response)["code"]


def test_it_echoes_the_nonce_into_the_id_token(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    code = authorize_and_get_code(client, realm, user, scope="openid", nonce="n-0S6_WzA2Mj")

    body = exchange_code(client, realm, code).json()

    assert verify(client, realm, body["id_token"])["nonce"] == "n-0S6_WzA2Mj"


def test_it_refuses_other_methods(client):
    realm = make_realm()
    response = client.put(endpoint(realm, "auth"))
    assert response.status_code == 405


# --- errors never redirected ------------------------------------------------------------------
def test_it_shows_an_error_page_for_an_unknown_client(client):
    realm = make_realm()
    make_web_client(realm)
    response = client.get(authorize_url(realm, **authorize_params("nobody")))
    assert_error_page(response)
    assert b"Client not found" in response.content


def test_it_shows_an_error_page_for_a_disabled_client(client):
    realm = make_realm()
    make_web_client(realm, enabled=False)
    assert_error_page(client.get(authorize_url(realm, **authorize_params())))


def test_it_shows_an_error_page_without_a_client_id(client):
    realm = make_realm()
    make_web_client(realm)
    assert_error_page(client.get(authorize_url(realm, **authorize_params(client_id=""))))


def test_it_shows_an_error_page_without_a_redirect_uri(client):
    realm = make_realm()
    make_web_client(realm)
    assert_error_page(client.get(authorize_url(realm, **authorize_params(redirect_uri=None))))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "https://app.example/callback/",
        "https://app.example/callback?x=1",
        "https://app.example/callback?",
        "https://app.example/callback#frag",
        "https://APP.example/callback",
        "HTTPS://app.example/callback",
        "http://app.example/callback",
        "https://app.example:8443/callback",
        "https://app.example.evil.example/callback",
        "https://user@app.example/callback",
        "https://app.example/Callback",
        "https://app.example/callback/../callback",
        "/callback",
        "not a uri",
    ],
)
def test_it_shows_an_error_page_for_an_unregistered_redirect_uri(client, redirect_uri):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    response = client.get(authorize_url(realm, **authorize_params(redirect_uri=redirect_uri)))
    assert_error_page(response)


def test_it_shows_an_error_page_for_repeated_client_id_or_redirect_uri(client):
    realm = make_realm()
    make_web_client(realm)
    base = authorize_url(realm, **authorize_params())
    for extra in ("&client_id=app", f"&redirect_uri={REDIRECT_URI}"):
        assert_error_page(client.get(base + extra))


def test_it_shows_an_error_page_for_a_client_of_another_realm(client):
    realm = make_realm()
    charlie = make_realm("charlie")
    make_web_client(realm, "alices-app")
    make_web_client(charlie, "charlies-app")

    response = client.get(authorize_url(realm, **authorize_params("charlies-app")))

    assert_error_page(response)


def test_it_shows_an_error_page_for_an_unknown_realm(client):
    response = client.get("/realms/nowhere/protocol/openid-connect/auth?client_id=app")
    assert response.status_code == 404


# --- RFC 8252 §7.3 loopback redirect URIs -----------------------------------------------------
@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("http://127.0.0.1/callback", "http://127.0.0.1:51004/callback"),
        ("http://127.0.0.1:8080/callback", "http://127.0.0.1:51004/callback"),
        ("http://[::1]/callback", "http://[::1]:6000/callback"),
        ("http://[::1]:8080/callback", "http://[::1]:51004/callback"),
        ("http://127.0.0.1", "http://127.0.0.1:6000"),
    ],
)
def test_it_accepts_any_port_on_a_public_clients_loopback_redirect_uri(
    client, registered, requested
):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm, public=True, redirect_uris=registered)

    response = client.get(authorize_url(realm, **authorize_params(redirect_uri=requested)))

    assert response.status_code == 302
    assert response["Location"].startswith(requested)
    assert parse_qs(urlsplit(response["Location"]).query)["code"]


@pytest.mark.parametrize(
    "requested",
    [
        "http://127.0.0.1:51004/other",
        "http://127.0.0.2:51004/callback",
        "http://localhost:51004/callback",
        "https://127.0.0.1:51004/callback",
        "http://127.0.0.1:51004/callback?x=1",
        "http://127.0.0.1:51004@evil.example/callback",
        "http://127.0.0.1:99999999/callback",
        "http://[::1]:51004/callback",
    ],
)
def test_it_allows_only_the_port_to_vary_on_loopback(client, requested):
    realm = make_realm()
    make_web_client(realm, public=True, redirect_uris="http://127.0.0.1/callback")
    response = client.get(authorize_url(realm, **authorize_params(redirect_uri=requested)))
    assert_error_page(response)


def test_it_requires_the_registered_port_of_a_confidential_clients_loopback_uri(client):
    realm = make_realm()
    make_web_client(realm, redirect_uris="http://127.0.0.1:8080/callback")
    url = authorize_url(realm, **authorize_params(redirect_uri="http://127.0.0.1:9090/callback"))
    assert_error_page(client.get(url))


def test_it_gives_localhost_no_port_exemption(client):
    realm = make_realm()
    make_web_client(realm, public=True, redirect_uris="http://localhost:8080/callback")
    url = authorize_url(realm, **authorize_params(redirect_uri="http://localhost:9090/callback"))
    assert_error_page(client.get(url))


# --- errors redirected to the client, with state and iss -------------------------------------
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"response_type": "none"}, "unsupported_response_type"),
        ({"response_mode": "web_message"}, "invalid_request"),
        ({"scope": "openid admin:everything"}, "invalid_scope"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "create"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"nonce": "n" * 256}, "invalid_request"),
        ({"request_uri": "https://app.example/request.jwt"}, "request_uri_not_supported"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"scope": "x" * 9000}, "invalid_request"),
    ],
)
def test_it_redirects_errors_with_state_and_iss(client, params, error):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)

    response = client.get(authorize_url(realm, **authorize_params(**params)))

    assert_redirected_error(response, error, realm=realm)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("repeated", ["state", "scope", "response_type", "nonce", "prompt"])
def test_it_refuses_a_repeated_parameter_with_a_redirect(client, repeated):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    params = authorize_params(scope="openid", nonce="n1", prompt="login")
    url = authorize_url(realm, **params) + f"&{repeated}={params[repeated]}x"

    response = client.get(url)

    expected_state = None if repeated == "state" else "st-123"
    assert_redirected_error(response, "invalid_request", state=expected_state, realm=realm)


def test_it_ignores_unknown_parameters(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    response = client.get(authorize_url(realm, **authorize_params(display="popup", foo="bar")))
    assert redirect_params(response)["code"]


def test_it_treats_an_empty_parameter_as_omitted(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    response = client.get(authorize_url(realm, **authorize_params()) + "&nonce=&prompt=")
    assert redirect_params(response)["code"]


def test_it_refuses_a_client_without_the_standard_flow(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm, standard_flow_enabled=False)
    response = client.get(authorize_url(realm, **authorize_params()))
    assert_redirected_error(response, "unauthorized_client", realm=realm)


def test_it_sends_errors_to_a_loopback_uri_on_the_port_asked_for(client):
    realm = make_realm()
    make_web_client(realm, public=True, redirect_uris="http://127.0.0.1/cb")
    url = authorize_url(
        realm, **authorize_params(redirect_uri="http://127.0.0.1:5000/cb", response_type="x")
    )
    response = client.get(url)
    assert response["Location"].startswith("http://127.0.0.1:5000/cb?error=")


# --- PKCE (RFC 7636; S256 only) ---------------------------------------------------------------
def test_it_requires_pkce_from_a_public_client(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm, public=True, pkce_method="")
    response = client.get(authorize_url(realm, **authorize_params(verifier=None)))
    assert_redirected_error(response, "invalid_request", realm=realm)


def test_it_requires_pkce_from_a_confidential_client_configured_for_it(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm, pkce_method="S256")
    response = client.get(authorize_url(realm, **authorize_params(verifier=None)))
    assert_redirected_error(response, "invalid_request", realm=realm)


def test_it_lets_a_confidential_client_without_pkce_method_omit_pkce(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm, pkce_method="")
    response = client.get(authorize_url(realm, **authorize_params(verifier=None)))
    assert redirect_params(response)["code"]


@pytest.mark.parametrize("method", ["plain", None, "S512", "s256"])
def test_it_refuses_any_challenge_method_but_s256(client, method):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm, public=True)
    params = authorize_params(verifier=None, code_challenge=VERIFIER)
    if method:
        params["code_challenge_method"] = method
    response = client.get(authorize_url(realm, **params))
    assert_redirected_error(response, "invalid_request", realm=realm)


# --- prompt, max_age, login_hint (OIDC Core §3.1.2.1) -----------------------------------------
@pytest.mark.parametrize("scope", ["openid", "profile"])
def test_it_answers_prompt_none_without_a_session_with_login_required(client, scope):
    realm = make_realm()
    make_web_client(realm, scopes=("profile",))
    response = client.get(authorize_url(realm, **authorize_params(prompt="none", scope=scope)))
    assert_redirected_error(response, "login_required", realm=realm)


def test_it_answers_prompt_none_with_a_session_with_a_code(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    response = client.get(authorize_url(realm, **authorize_params(prompt="none", scope="openid")))
    assert redirect_params(response)["code"]


def test_it_sends_prompt_login_to_the_login_page_once(client):
    realm = make_realm()
    user = logged_in(client, realm)
    make_web_client(realm)
    url = authorize_url(realm, **authorize_params(prompt="login consent", scope="openid"))

    query = login_redirect(client.get(url), realm)
    next_query = parse_qs(urlsplit(query["next"]).query)
    assert next_query["prompt"] == ["consent"]

    back = login(client, realm, user.username, next_url=query["next"])
    assert back["Location"] == query["next"]
    response = client.get(back["Location"])
    # prompt=consent still applies: the user is asked, not sent to log in again.
    assert response.status_code == 200
    assert b'name="decision"' in response.content


def test_it_issues_a_code_after_a_forced_login_with_a_fresh_auth_time(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        first_login = int(timezone.now().timestamp())
        authorize_and_get_code(client, realm, user)
        traveller.shift(600)
        url = authorize_url(realm, **authorize_params(prompt="login", scope="openid"))

        query = login_redirect(client.get(url), realm)
        assert "prompt" not in parse_qs(urlsplit(query["next"]).query)
        back = login(client, realm, user.username, next_url=query["next"])
        code = redirect_params(client.get(back["Location"]))["code"]
        claims = verify(client, realm, exchange_code(client, realm, code).json()["id_token"])

    assert claims["auth_time"] == first_login + 600


def test_it_forces_a_login_when_the_session_is_older_than_max_age(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        authorize_and_get_code(client, realm, user)
        traveller.shift(120)
        url = authorize_url(realm, **authorize_params(max_age="60", scope="openid"))

        query = login_redirect(client.get(url), realm)
        assert parse_qs(urlsplit(query["next"]).query)["max_age"] == ["60"]
        back = login(client, realm, user.username, next_url=query["next"])
        code = redirect_params(client.get(back["Location"]))["code"]
        claims = verify(client, realm, exchange_code(client, realm, code).json()["id_token"])
        assert claims["auth_time"] == int(timezone.now().timestamp())


def test_it_accepts_a_session_younger_than_max_age(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        authorize_and_get_code(client, realm, user)
        traveller.shift(30)
        response = client.get(authorize_url(realm, **authorize_params(max_age="60")))
        assert redirect_params(response)["code"]


def test_it_does_not_loop_on_max_age_zero(client):
    realm = make_realm()
    user = logged_in(client, realm)
    make_web_client(realm)
    url = authorize_url(realm, **authorize_params(max_age="0"))

    query = login_redirect(client.get(url), realm)
    back = login(client, realm, user.username, next_url=query["next"])

    assert redirect_params(client.get(back["Location"]))["code"]


def test_it_answers_prompt_none_with_a_too_old_session_with_login_required(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        authorize_and_get_code(client, realm, user)
        traveller.shift(120)
        for scope in ("openid", ""):
            params = authorize_params(prompt="none", max_age="60", scope=scope or None)
            response = client.get(authorize_url(realm, **params))
            assert_redirected_error(response, "login_required", realm=realm)


def test_it_prefills_the_login_form_with_the_login_hint(client):
    realm = make_realm()
    make_web_client(realm)
    url = authorize_url(realm, **authorize_params(login_hint="alice@example.org"))

    response = client.get(url)
    assert login_redirect(response, realm)["login_hint"] == "alice@example.org"
    page = client.get(response["Location"])

    assert page.status_code == 200
    assert b'value="alice@example.org"' in page.content


def test_it_does_not_carry_a_session_across_realms(client):
    realm = make_realm()
    charlie = make_realm("charlie")
    logged_in(client, realm)
    make_web_client(charlie, "app")

    response = client.get(authorize_url(charlie, **authorize_params()))

    login_redirect(response, charlie)
    response = client.get(authorize_url(charlie, **authorize_params(prompt="none")))
    assert_redirected_error(response, "login_required", realm=charlie)


def test_it_ends_with_the_session_after_logout(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    client.post(f"/realms/{realm.name}/logout")
    response = client.get(authorize_url(realm, **authorize_params()))
    login_redirect(response, realm)


def test_it_expires_an_idle_session(client):
    realm = make_realm()
    user = make_user(realm)
    make_web_client(realm)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        authorize_and_get_code(client, realm, user)
        traveller.shift(timedelta(seconds=realm.sso_session_idle_timeout + 1))
        login_redirect(client.get(authorize_url(realm, **authorize_params())), realm)


# --- response_mode=form_post (OAuth 2.0 Form Post Response Mode) -----------------------------
def hidden_inputs(html: str) -> dict:
    import re

    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_it_posts_the_response_with_form_post(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)

    response = client.get(authorize_url(realm, **authorize_params(response_mode="form_post")))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert f'<form method="post" action="{REDIRECT_URI}"' in html
    fields = hidden_inputs(html)
    assert set(fields) == {"code", "state", "iss", "session_state"}
    assert fields["state"] == "st-123"
    assert fields["iss"] == realm.issuer
    # No inline script (the Content-Security-Policy forbids it), a button without JavaScript.
    assert "<script>" not in html
    assert 'src="/static/authserver/form_post.js"' in html
    assert '<button type="submit">' in html


def test_it_exchanges_a_code_delivered_by_form_post(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    response = client.get(authorize_url(realm, **authorize_params(response_mode="form_post")))
    code = hidden_inputs(response.content.decode())["code"]
    assert exchange_code(client, realm, code).status_code == 200


def test_it_posts_errors_with_form_post(client):
    realm = make_realm()
    make_web_client(realm)
    params = authorize_params(response_mode="form_post", prompt="none")

    response = client.get(authorize_url(realm, **params))

    assert response.status_code == 200
    fields = hidden_inputs(response.content.decode())
    assert fields["error"] == "login_required"
    assert fields["state"] == "st-123"
    assert fields["iss"] == realm.issuer


def test_it_escapes_values_in_the_form_post_page(client):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm)
    state = '"><script>alert(1)</script>'
    response = client.get(
        authorize_url(realm, **authorize_params(response_mode="form_post", state=state))
    )
    assert b"<script>alert" not in response.content


def test_it_serves_the_form_post_script(client):
    from django.contrib.staticfiles import finders

    path = finders.find("authserver/form_post.js")
    assert path is not None
    with open(path) as script:
        assert "submit()" in script.read()


# --- bad input never gives a 500 --------------------------------------------------------------
_AT_APP = "client_id=app&redirect_uri=" + REDIRECT_URI


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        # 400: no client or redirect URI to trust, so an error page (RFC 6749 §4.1.2.1).
        ("", 400),
        ("client_id=%00&redirect_uri=x", 400),
        ("client_id=" + "a" * 5000, 400),
        ("client_id=app&client_id=other", 400),
        ("redirect_uri=" + REDIRECT_URI, 400),
        ("client_id[]=app", 400),
        # Otherwise the error goes back to the client.
        (_AT_APP + "&state=%zz", "invalid_request"),
        (_AT_APP + "&response_type=code&scope=%ff%fe", "invalid_scope"),
        (_AT_APP + "&response_type=code&max_age=99999999999", "invalid_request"),
        (_AT_APP + "&response_type=code&nonce=%00", "invalid_request"),
        (
            _AT_APP + "&response_type=code&scope=openid&claims=%7Bnot-json"
            "&code_challenge_method=S256&code_challenge=" + s256(VERIFIER),
            "invalid_request",
        ),
        (_AT_APP + "&code_challenge=" + "\u00e9" * 43, "invalid_request"),
        (_AT_APP + "&response_type=code&state=" + "s" * 9000, "invalid_request"),
        # ``claims`` is OpenID Connect's: a plain OAuth request ignores it (RFC 6749 §3.1).
        (_AT_APP + "&response_type=code&claims=%7Bnot-json", "code"),
    ],
)
def test_it_never_fails_with_a_server_error(client, query, answer):
    realm = make_realm()
    logged_in(client, realm)
    make_web_client(realm, pkce_method="")
    response = client.get(endpoint(realm, "auth") + "?" + query)
    if answer == 400:
        assert response.status_code == 400
        return
    assert response.status_code == 302, response.status_code
    params = redirect_params(response)
    if answer == "code":
        assert "code" in params and "error" not in params
    else:
        assert params["error"] == answer


# --- id_token_hint (OIDC Core §3.1.2.1) -------------------------------------------------------
def _id_token(http, realm, user, client_id="app") -> str:
    return tokens_for(http, realm, user, client_id, scope="openid")["id_token"]


def test_it_answers_prompt_none_with_a_hint_for_the_logged_in_user_with_a_code(client):
    realm = make_realm()
    make_web_client(realm)
    user = logged_in(client, realm)
    hint = _id_token(client, realm, user)
    url = authorize_url(realm, **authorize_params(prompt="none", id_token_hint=hint))
    assert redirect_params(client.get(url))["code"]


def test_it_answers_prompt_none_with_a_hint_for_another_user_with_login_required(client):
    realm = make_realm()
    make_web_client(realm)
    hint = _id_token(Client(), realm, make_user(realm, username="hinted"))
    logged_in(client, realm, username="someone-else")
    url = authorize_url(realm, **authorize_params(prompt="none", id_token_hint=hint))
    assert_redirected_error(client.get(url), "login_required", realm=realm)


def test_it_asks_the_hinted_user_to_log_in_when_another_is_logged_in(client):
    realm = make_realm()
    make_web_client(realm)
    hinted = make_user(realm, username="hinted")
    hint = _id_token(Client(), realm, hinted)
    logged_in(client, realm, username="someone-else")
    url = authorize_url(realm, **authorize_params(scope="openid", id_token_hint=hint))
    query = login_redirect(client.get(url), realm)
    assert query["login_hint"] == "hinted"
    response = login(client, realm, "hinted", next_url=query["next"])
    answer = redirect_params(client.get(response["Location"]))
    tokens = exchange_code(client, realm, answer["code"]).json()
    assert verify(client, realm, tokens["id_token"])["sub"] == str(hinted.subject)


def test_it_takes_an_expired_id_token_as_a_hint(client):
    realm = make_realm()
    make_web_client(realm)
    user = logged_in(client, realm)
    hint = _id_token(client, realm, user)
    later = timezone.now() + timedelta(seconds=realm.access_token_lifespan + 3600)
    with time_machine.travel(later):
        logged_in(client, realm, username="again")
        login(client, realm, user.username)
        url = authorize_url(realm, **authorize_params(prompt="none", id_token_hint=hint))
        assert redirect_params(client.get(url))["code"]


@pytest.mark.parametrize("kind", ["garbage", "access token", "another client's", "forged"])
def test_it_refuses_a_hint_that_is_not_an_id_token_it_issued_to_this_client(client, kind):
    realm = make_realm()
    make_web_client(realm)
    make_web_client(realm, "other")
    user = logged_in(client, realm)
    if kind == "garbage":
        hint = "not-a-token"
    elif kind == "access token":
        hint = tokens_for(client, realm, user, scope="openid")["access_token"]
    elif kind == "another client's":
        hint = _id_token(client, realm, user, client_id="other")
    else:  # the same user and client names, signed by another realm's key
        elsewhere = make_realm()
        make_web_client(elsewhere)
        hint = _id_token(Client(), elsewhere, make_user(elsewhere, username=user.username))
    url = authorize_url(realm, **authorize_params(prompt="none", id_token_hint=hint))
    assert_redirected_error(client.get(url), "invalid_request", realm=realm)


# --- response_mode=fragment and session_state (OIDC Session Management 1.0) ------------------
def fragment_params(response) -> dict:
    assert response.status_code == 302, response.content[:300]
    location = urlsplit(response["Location"])
    return {name: values[0] for name, values in parse_qs(location.fragment).items()}


def test_it_answers_in_the_fragment_when_asked(client):
    from accounts.models import UserSession

    realm = make_realm()
    user = logged_in(client, realm)
    make_web_client(realm, public=True)

    response = client.get(
        authorize_url(realm, **authorize_params(response_mode="fragment", scope="openid"))
    )

    answer = fragment_params(response)
    assert response["Location"].startswith(REDIRECT_URI + "#")
    assert urlsplit(response["Location"]).query == ""
    assert set(answer) == {"code", "state", "iss", "session_state"}
    assert answer["state"] == "st-123"
    assert answer["iss"] == realm.issuer
    assert "no-store" in response["Cache-Control"]
    session = UserSession.objects.get(user=user)
    assert answer["session_state"] == str(session.sid)
    tokens = exchange_code(client, realm, answer["code"], secret=None)
    assert tokens.status_code == 200, tokens.content
    assert tokens.json()["session_state"] == str(session.sid)
    assert verify(client, realm, tokens.json()["access_token"])["sid"] == str(session.sid)


def test_it_keeps_a_registered_query_and_answers_in_the_fragment(client):
    realm = make_realm()
    logged_in(client, realm)
    registered = "https://app.example/callback?tenant=blue"
    make_web_client(realm, redirect_uris=registered)

    response = client.get(
        authorize_url(realm, **authorize_params(redirect_uri=registered, response_mode="fragment"))
    )

    assert response["Location"].startswith(registered + "#")
    assert fragment_params(response)["code"]


def test_it_sends_errors_in_the_fragment(client):
    realm = make_realm()
    make_web_client(realm)

    response = client.get(
        authorize_url(realm, **authorize_params(response_mode="fragment", prompt="none"))
    )

    assert response["Location"].startswith(REDIRECT_URI + "#")
    answer = fragment_params(response)
    assert answer["error"] == "login_required"
    assert answer["state"] == "st-123"
    assert answer["iss"] == realm.issuer
    assert "code" not in answer and "session_state" not in answer
