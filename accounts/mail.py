"""Mail to a realm's users, through the realm's ``smtpServer`` (Keycloak's fields) or, for a
realm without one, the installation's EMAIL_BACKEND (the console, unless configured)."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import sanitize_address

from accounts import sealed
from accounts.models import Realm

_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _true(value) -> bool:
    return str(value).lower() == "true"


def connection(realm: Realm):
    smtp = realm.smtp_server or {}
    if not smtp.get("host"):
        return get_connection()
    auth = _true(smtp.get("auth"))
    return get_connection(
        _SMTP_BACKEND,
        host=smtp["host"],
        port=int(smtp.get("port") or 25),
        username=smtp.get("user", "") if auth else "",
        password=sealed.unseal(realm.smtp_password_sealed)
        if auth and realm.smtp_password_sealed
        else "",
        use_tls=_true(smtp.get("starttls")),
        use_ssl=_true(smtp.get("ssl")),
        timeout=settings.EMAIL_TIMEOUT,
    )


def sender(realm: Realm) -> str:
    smtp = realm.smtp_server or {}
    address = smtp.get("from") or settings.DEFAULT_FROM_EMAIL
    name = smtp.get("fromDisplayName") or realm.title
    return sanitize_address((name, address), "utf-8")


def send(realm: Realm, to: str, subject: str, body: str) -> None:
    reply_to = (realm.smtp_server or {}).get("replyTo")
    message = EmailMessage(
        subject=f"{realm.title}: {subject}",
        body=body,
        from_email=sender(realm),
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        connection=connection(realm),
    )
    message.send()
