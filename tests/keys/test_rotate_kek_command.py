"""manage.py rotate_kek: every stored private key re-encrypted under a new key-encryption key,
all or nothing; the signing keys themselves, and the tokens they signed, unchanged."""

import json
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from authserver.keys import crypto, rotation, store
from authserver.keys.crypto import KeyDecryptionError
from authserver.keys.models import SigningKey
from tests.factories import make_realm
from tests.protocol.helpers import SECRET, basic, endpoint, make_machine_client, post_form, verify

pytestmark = pytest.mark.django_db

NEW = secrets.token_urlsafe(48)


def _token(http, realm) -> str:
    response = post_form(
        http,
        endpoint(realm, "token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("machine", SECRET),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def _header(token: str) -> dict:
    import base64

    first = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))


def _run(*, monkeypatch, new=NEW) -> str:
    from io import StringIO

    if new is not None:
        monkeypatch.setenv("AUTHSERVER_NEW_KEY_ENCRYPTION_KEY", new)
    out = StringIO()
    call_command("rotate_kek", stdout=out)
    return out.getvalue()


def test_it_reencrypts_every_key_and_tokens_still_sign_and_verify(client, settings, monkeypatch):
    old = settings.AUTHSERVER_KEY_ENCRYPTION_KEY
    realm = make_realm(default_signature_algorithm="ES256")
    make_machine_client(realm)
    before = _token(client, realm)
    retired_kid = _header(before)["kid"]
    rotation.rotate(realm)  # the first key retired (still published), a second one signs
    store.clear_caches()
    signing = _token(client, realm)
    rotation.stage(realm)  # and a third one published, not signing yet
    rows_before = {key.kid: key.private_jwk_encrypted for key in SigningKey.objects.all()}

    output = _run(monkeypatch=monkeypatch)

    assert f"{len(rows_before)} signing key(s) re-encrypted" in output
    assert crypto.fingerprint(NEW) in output and NEW not in output and old not in output
    for key in SigningKey.objects.all():
        assert key.private_jwk_encrypted != rows_before[key.kid]
        assert crypto.encrypted_under(key.private_jwk_encrypted) == crypto.fingerprint(NEW)
        with pytest.raises(KeyDecryptionError, match="cannot be decrypted"):
            crypto.decrypt(key.private_jwk_encrypted, kid=key.kid, secrets=[old])
    # The nodes now run with the new key: the same kid signs, every token verifies.
    store.clear_caches()
    with override_settings(AUTHSERVER_KEY_ENCRYPTION_KEY=NEW):
        after = _token(client, realm)
        assert _header(after)["kid"] == _header(signing)["kid"]
        for token in (before, signing, after):
            assert verify(client, realm, token)["azp"] == "machine"
        published = {key["kid"] for key in client.get(endpoint(realm, "certs")).json()["keys"]}
        assert published == set(rows_before) and retired_kid in published
    # And a node still on the old key cannot read them.
    store.clear_caches()
    with pytest.raises(KeyDecryptionError):
        store.signing_key(realm)


def test_it_changes_nothing_when_one_key_cannot_be_read(settings, monkeypatch):
    first, second = make_realm(), make_realm()
    store.signing_key(first)
    store.signing_key(second)
    unreadable = SigningKey.objects.get(realm=second)
    private = crypto.decrypt(unreadable.private_jwk_encrypted, kid=unreadable.kid)
    unreadable.private_jwk_encrypted = crypto.encrypt(private, secret="a-key-nobody-configured")
    unreadable.save()
    rows_before = dict(SigningKey.objects.values_list("kid", "private_jwk_encrypted"))

    with pytest.raises(CommandError, match="nothing was changed"):
        _run(monkeypatch=monkeypatch)

    assert dict(SigningKey.objects.values_list("kid", "private_jwk_encrypted")) == rows_before


@pytest.mark.parametrize(
    "new, message",
    [("too-short", "32 characters at least"), (None, "already configured")],
)
def test_it_refuses_an_unfit_new_key(settings, monkeypatch, new, message):
    store.signing_key(make_realm())
    monkeypatch.setenv(
        "AUTHSERVER_NEW_KEY_ENCRYPTION_KEY", new or settings.AUTHSERVER_KEY_ENCRYPTION_KEY
    )

    with pytest.raises(CommandError, match=message):
        call_command("rotate_kek")


def test_it_reads_the_new_key_from_a_file(tmp_path, monkeypatch, settings):
    realm = make_realm()
    store.signing_key(realm)
    path = tmp_path / "new-kek"
    path.write_text(NEW + "\n")
    monkeypatch.setenv("AUTHSERVER_NEW_KEY_ENCRYPTION_KEY_FILE", str(path))

    _run(monkeypatch=monkeypatch, new=None)

    row = SigningKey.objects.get(realm=realm)
    assert crypto.encrypted_under(row.private_jwk_encrypted) == crypto.fingerprint(NEW)


def test_it_moves_what_a_fallback_reads_under_the_configured_key(settings, monkeypatch):
    """The rolling way: nodes first run with the new key and the old one as a fallback (they
    read either), then rotate_kek moves every key under the new one, then the fallback goes."""
    old = settings.AUTHSERVER_KEY_ENCRYPTION_KEY
    realm = make_realm()
    kid = store.signing_key(realm)["kid"]
    settings.AUTHSERVER_KEY_ENCRYPTION_KEY = NEW
    settings.AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS = [old]
    store.clear_caches()
    assert store.signing_key(realm)["kid"] == kid  # read through the fallback

    output = _run(monkeypatch=monkeypatch, new=None)

    assert "1 signing key(s) re-encrypted" in output
    settings.AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS = []
    store.clear_caches()
    assert store.signing_key(realm)["kid"] == kid
    again = _run(monkeypatch=monkeypatch, new=None)
    assert "0 signing key(s) re-encrypted" in again and "1 already were" in again


def test_it_moves_the_sealed_secrets_with_the_keys(settings, monkeypatch):
    from accounts import console_otp, mail, otp, sealed
    from accounts.models import Realm
    from tests.factories import make_user

    realm = make_realm()
    Realm.objects.filter(pk=realm.pk).update(smtp_password_sealed=sealed.seal("smtp-pass"))
    device = otp.start_enrolment(make_user(realm, "alice"))
    seed = otp.secret_of(device)
    queued = mail.send(realm, "alice@example.com", "Hello", "A link")
    console_device = console_otp.create(make_user(None, "operator", is_staff=True))
    console_key = console_otp.key_of(console_device)
    output = _run(monkeypatch=monkeypatch)
    assert "4 sealed secret(s)" in output
    # Once the new key is configured alone, the authenticator and the SMTP password still open.
    settings.AUTHSERVER_KEY_ENCRYPTION_KEY = NEW
    settings.AUTHSERVER_KEY_ENCRYPTION_KEY_FALLBACKS = []
    device.refresh_from_db()
    assert otp.secret_of(device) == seed
    realm.refresh_from_db()
    assert sealed.unseal(realm.smtp_password_sealed) == "smtp-pass"
    console_device.refresh_from_db()
    assert console_otp.key_of(console_device) == console_key
    # Mail waiting in the outbox still leaves.
    queued.refresh_from_db()
    assert json.loads(sealed.unseal(queued.message_sealed))["to"] == "alice@example.com"


def test_it_changes_nothing_when_a_sealed_secret_cannot_be_read(settings, monkeypatch):
    from accounts import sealed
    from accounts.models import Realm

    realm = make_realm()
    stranger = sealed.seal("smtp-pass", key_secret=secrets.token_urlsafe(48))
    Realm.objects.filter(pk=realm.pk).update(smtp_password_sealed=stranger)
    keys_before = {key.kid: key.private_jwk_encrypted for key in SigningKey.objects.all()}
    with pytest.raises(CommandError):
        _run(monkeypatch=monkeypatch)
    assert {key.kid: key.private_jwk_encrypted for key in SigningKey.objects.all()} == keys_before
    realm.refresh_from_db()
    assert realm.smtp_password_sealed == stranger
