import pytest
from django.test import override_settings

from tests.factories import make_realm

pytestmark = pytest.mark.django_db


def test_it_denies_framing_everywhere(client):
    realm = make_realm()
    for url in ("/healthz", f"/realms/{realm.name}/login", "/admin/login/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url


@override_settings(CONTENT_SECURITY_POLICY_ENABLED=True)
def test_it_sends_a_strict_content_security_policy(client):
    realm = make_realm()
    policy = client.get(f"/realms/{realm.name}/login")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_it_does_not_cache_the_login_page(client):
    realm = make_realm()
    response = client.get(f"/realms/{realm.name}/login")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
