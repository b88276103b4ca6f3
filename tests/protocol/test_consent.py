import re

import pytest
from django.test import Client

from accounts.models import ClientScope
from authserver.models import Consent
from tests.factories import make_realm, make_scope, make_user
from tests.protocol.helpers import (
    REDIRECT_URI,
    authorize_params,
    authorize_url,
    endpoint,
    exchange_code,
    make_web_client,
    redirect_params,
    refresh,
)

pytestmark = pytest.mark.django_db


def consent_client(realm, client_id="app", **fields):
    fields.setdefault("name", "Photo Printer")
    app = make_web_client(realm, client_id, consent_required=True, **fields)
    app.default_client_scopes.add(ClientScope.objects.get(realm=realm, name="profile"))
    app.optional_client_scopes.add(
        ClientScope.objects.get(realm=realm, name="email"),
        make_scope(realm, "photos:read", description="Read your photos"),
    )
    return app


def browser(realm, user=None):
    """A browser that enforces CSRF, as a real one does, logged in as ``user``."""
    http = Client(enforce_csrf_checks=True)
    user = user or make_user(realm)
    page = http.get(f"/realms/{realm.name}/login")
    token = csrf_token(page)
    response = http.post(
        f"/realms/{realm.name}/login",
        {"username": user.username, "password": "Correct-Horse-9", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302, response.content[:300]
    return http, user


def csrf_token(page) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)[1].decode()


def hidden_fields(page) -> dict:
    html = page.content.decode()
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def decide(http, page, decision):
    """Press one of the consent page's buttons."""
    action = re.search(rb'<form method="post" action="([^"]+)"', page.content)[1].decode()
    return http.post(action, {**hidden_fields(page), "decision": decision})


def consent_page(http, realm, **params):
    page = http.get(authorize_url(realm, **authorize_params(**params)))
    assert page.status_code == 200, (page.status_code, page.get("Location"))
    assert b'name="decision" value="allow"' in page.content
    assert b'name="decision" value="deny"' in page.content
    return page


# --- the consent page --------------------------------------------------------------------------
def test_it_asks_for_consent_listing_the_scopes(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)

    page = consent_page(http, realm, scope="openid photos:read")

    html = page.content.decode()
    assert "Photo Printer" in html
    assert "Read your photos" in html
    assert ClientScope.BUILT_IN["profile"] in html
    assert ClientScope.BUILT_IN["email"] not in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "no-store" in page["Cache-Control"]
    assert page["X-Frame-Options"] == "DENY"


def test_it_issues_the_code_when_the_user_allows(client):
    realm = make_realm()
    app = consent_client(realm)
    http, user = browser(realm)
    page = consent_page(http, realm, scope="openid photos:read")

    response = decide(http, page, "allow")

    answer = redirect_params(response)
    assert response["Location"].startswith(REDIRECT_URI)
    assert answer["state"] == "st-123"
    assert answer["iss"] == realm.issuer
    body = exchange_code(http, realm, answer["code"]).json()
    assert set(body["scope"].split()) == {"openid", "profile", "photos:read"}
    stored = Consent.objects.get(user=user, client=app)
    assert stored.scope_set == {"profile", "photos:read"}


def test_it_skips_the_page_for_what_was_allowed(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)
    decide(http, consent_page(http, realm, scope="openid photos:read"), "allow")

    again = http.get(authorize_url(realm, **authorize_params(scope="openid photos:read")))
    narrower = http.get(authorize_url(realm, **authorize_params(scope="openid")))

    assert redirect_params(again)["code"]
    assert redirect_params(narrower)["code"]


def test_it_asks_again_for_a_new_scope_and_extends_the_consent(client):
    realm = make_realm()
    app = consent_client(realm)
    http, user = browser(realm)
    decide(http, consent_page(http, realm), "allow")

    page = consent_page(http, realm, scope="email")
    assert decide(http, page, "allow").status_code == 302

    stored = Consent.objects.get(user=user, client=app)
    assert stored.scope_set == {"profile", "email"}


def test_it_answers_access_denied_when_the_user_denies(client):
    realm = make_realm()
    app = consent_client(realm)
    http, user = browser(realm)
    page = consent_page(http, realm)

    response = decide(http, page, "deny")

    answer = redirect_params(response)
    assert answer["error"] == "access_denied"
    assert answer["state"] == "st-123"
    assert answer["iss"] == realm.issuer
    assert "code" not in answer
    assert not Consent.objects.filter(user=user, client=app).exists()


def test_it_delivers_the_decision_with_form_post(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)
    page = consent_page(http, realm, response_mode="form_post")

    response = decide(http, page, "allow")

    assert response.status_code == 200
    fields = hidden_fields(response)
    assert set(fields) == {"code", "state", "iss", "session_state"}


def test_it_requires_a_csrf_token_for_the_decision(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)
    page = consent_page(http, realm)
    fields = hidden_fields(page)
    fields.pop("csrfmiddlewaretoken", None)

    response = http.post(endpoint(realm, "auth"), {**fields, "decision": "allow"})

    assert response.status_code == 403
    assert not Consent.objects.exists()


def test_it_sends_a_decision_without_a_session_to_the_login(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)
    page = consent_page(http, realm)
    http.post(f"/realms/{realm.name}/logout", {"csrfmiddlewaretoken": csrf_token(page)})

    response = decide(http, page, "allow")

    assert response.status_code == 302
    assert response["Location"].startswith(f"/realms/{realm.name}/login?")
    assert not Consent.objects.exists()


def test_it_answers_prompt_none_with_consent_required(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)
    for scope in ("openid", "profile"):
        response = http.get(authorize_url(realm, **authorize_params(scope=scope, prompt="none")))
        answer = redirect_params(response)
        assert answer["error"] == "consent_required"
        assert answer["iss"] == realm.issuer


def test_it_asks_again_with_prompt_consent(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)
    decide(http, consent_page(http, realm), "allow")

    page = consent_page(http, realm, prompt="consent")

    assert redirect_params(decide(http, page, "allow"))["code"]


def test_it_asks_nothing_of_a_client_without_consent_required(client):
    realm = make_realm()
    make_web_client(realm)
    http, _ = browser(realm)
    response = http.get(authorize_url(realm, **authorize_params()))
    assert redirect_params(response)["code"]


def test_it_keeps_consents_per_user(client):
    realm = make_realm()
    consent_client(realm)
    alice, _ = browser(realm)
    decide(alice, consent_page(alice, realm), "allow")
    bob, _ = browser(realm)

    consent_page(bob, realm)


# --- the account page: granted consents, revocable -------------------------------------------
def consents_url(realm) -> str:
    return f"/realms/{realm.name}/account/consents"


def test_it_links_the_account_page_to_the_consents(client):
    realm = make_realm()
    http, _ = browser(realm)
    page = http.get(f"/realms/{realm.name}/account")
    assert consents_url(realm).encode() in page.content


def test_it_lists_the_granted_consents(client):
    realm = make_realm()
    consent_client(realm)
    http, _ = browser(realm)
    decide(http, consent_page(http, realm, scope="photos:read"), "allow")

    page = http.get(consents_url(realm))

    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert b"Photo Printer" in page.content
    assert b"Read your photos" in page.content
    assert b'data-client="app"' in page.content


def test_it_revokes_a_consent_and_the_tokens_it_allowed(client):
    realm = make_realm()
    app = consent_client(realm)
    http, user = browser(realm)
    answer = redirect_params(decide(http, consent_page(http, realm), "allow"))
    tokens = exchange_code(http, realm, answer["code"]).json()
    page = http.get(consents_url(realm))

    response = http.post(
        consents_url(realm), {"client_id": "app", "csrfmiddlewaretoken": csrf_token(page)}
    )

    assert response.status_code == 302
    assert not Consent.objects.filter(user=user, client=app).exists()
    assert refresh(http, realm, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert b'data-client="app"' not in http.get(consents_url(realm)).content
    consent_page(http, realm)


def test_it_requires_a_csrf_token_to_revoke(client):
    realm = make_realm()
    consent_client(realm)
    http, user = browser(realm)
    decide(http, consent_page(http, realm), "allow")

    response = http.post(consents_url(realm), {"client_id": "app"})

    assert response.status_code == 403
    assert Consent.objects.filter(user=user).exists()


def test_it_sends_the_consents_page_without_a_session_to_the_login(client):
    realm = make_realm()
    response = client.get(consents_url(realm))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/realms/{realm.name}/login?")


def test_it_validates_ownership_of_consents(client):
    realm = make_realm()
    charlie_realm = make_realm("charlie")
    alices_app = consent_client(realm, name="Alice's printer")
    charlies_app = consent_client(charlie_realm, name="Charlie's printer")
    alice_http, alice = browser(realm)
    decide(alice_http, consent_page(alice_http, realm), "allow")
    charlie_http, charlie = browser(charlie_realm)
    decide(charlie_http, consent_page(charlie_http, charlie_realm), "allow")

    page = charlie_http.get(consents_url(charlie_realm))
    assert b"Charlie&#x27;s printer" in page.content
    assert b"Alice" not in page.content
    charlie_http.post(
        consents_url(charlie_realm), {"client_id": "app", "csrfmiddlewaretoken": csrf_token(page)}
    )

    assert not Consent.objects.filter(user=charlie, client=charlies_app).exists()
    assert Consent.objects.filter(user=alice, client=alices_app).exists()
    # A session of the first realm does not open the charlie realm's page.
    response = alice_http.get(consents_url(charlie_realm))
    assert response.status_code == 302
