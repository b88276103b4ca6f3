"""resetPasswordAllowed, verifyEmail and smtpServer in realm files and the admin API: the SMTP
password sealed at rest, never shown or exported (Keycloak's mask), kept when the mask returns."""

import pytest

from accounts import mail, sealed
from authserver.adminapi import realm_management as rm
from authserver.realmfile.errors import RealmFileError
from authserver.realmfile.exporter import export_realm
from tests.adminapi.helpers import admin_token, call, url
from tests.realmfile.documents import load, small

pytestmark = pytest.mark.django_db

SMTP = {
    "host": "smtp.example.com",
    "port": "587",
    "from": "no-reply@example.com",
    "fromDisplayName": "Acme",
    "starttls": "true",
    "auth": "true",
    "user": "mailer",
    "password": "smtp-Secret-1",
}


def test_it_imports_and_exports_the_mail_settings_without_the_password():
    realm = load(small(resetPasswordAllowed=True, verifyEmail=True, smtpServer=SMTP))
    assert realm.reset_password_allowed and realm.verify_email
    assert "smtp-Secret-1" not in realm.smtp_password_sealed
    assert sealed.unseal(realm.smtp_password_sealed) == "smtp-Secret-1"
    connection = mail.connection(realm)
    assert (connection.host, connection.port, connection.use_tls) == ("smtp.example.com", 587, True)
    assert (connection.username, connection.password) == ("mailer", "smtp-Secret-1")
    exported = export_realm(realm)
    assert exported["smtpServer"] == {**SMTP, "password": "**********"}
    assert exported["resetPasswordAllowed"] is True and exported["verifyEmail"] is True


def test_it_refuses_a_bad_port():
    with pytest.raises(RealmFileError) as raised:
        load(small(smtpServer={"host": "smtp.example.com", "port": "http"}))
    assert raised.value.path == "smtpServer.port"


def test_the_admin_api_keeps_the_password_when_the_mask_comes_back(client):
    realm = load(small(name="acme", smtpServer=SMTP))
    token = admin_token(realm, rm.MANAGE_REALM)
    shown = call(client, "GET", url(realm), token).json()
    assert shown["smtpServer"]["password"] == "**********"
    body = {"smtpServer": {**shown["smtpServer"], "host": "mail.example.com"}}
    assert call(client, "PUT", url(realm), token, body).status_code == 204
    realm.refresh_from_db()
    assert realm.smtp_server["host"] == "mail.example.com"
    assert sealed.unseal(realm.smtp_password_sealed) == "smtp-Secret-1"
    event = realm.events.get(type="UPDATE")
    assert "smtp-Secret-1" not in str(event.after) and "smtp-Secret-1" not in str(event.before)
    body = {"smtpServer": {**shown["smtpServer"], "password": "new-Secret-2"}}
    assert call(client, "PUT", url(realm), token, body).status_code == 204
    realm.refresh_from_db()
    assert sealed.unseal(realm.smtp_password_sealed) == "new-Secret-2"
