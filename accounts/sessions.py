"""SSO sessions: one per browser and realm, in the database, found by a hashed cookie secret.

The cookie is scoped to /realms/NAME/, as Keycloak's is, so a browser can be signed in to two
realms at once and one realm's cookie never reaches another's pages.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.addresses import client_ip
from accounts.models import Realm, User, UserSession

COOKIE_NAME = "AUTHSERVER_SESSION"
# last_seen is written at most this often, so a busy page does not write on every request.
_TOUCH_INTERVAL = timedelta(seconds=30)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def cookie_path(realm: Realm) -> str:
    return f"/realms/{realm.name}/"


def start(request, response, user: User) -> UserSession:
    """Start a new session (a new secret: the id is rotated at every login) and set its cookie."""
    end(request, response, user.realm)
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    session = UserSession.objects.create(
        realm=user.realm,
        user=user,
        key_hash=_hash(secret),
        started=now,
        last_seen=now,
        ip_address=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    response.set_cookie(
        COOKIE_NAME,
        secret,
        max_age=user.realm.sso_session_max_lifespan,
        path=cookie_path(user.realm),
        secure=settings.SECURE,
        httponly=True,
        samesite="Lax",
    )
    return session


def current(request, realm: Realm) -> UserSession | None:
    """The live session this request carries for ``realm``, or None."""
    secret = request.COOKIES.get(COOKIE_NAME)
    if not secret:
        return None
    try:
        session = UserSession.objects.select_related("realm", "user").get(
            key_hash=_hash(secret), realm=realm
        )
    except UserSession.DoesNotExist:
        return None
    now = timezone.now()
    if not session.is_live(now) or not session.user.is_active:
        return None
    if now - session.last_seen > _TOUCH_INTERVAL:
        UserSession.objects.filter(pk=session.pk).update(last_seen=now)
        session.last_seen = now
    return session


def end(request, response, realm: Realm) -> UserSession | None:
    """End the request's session in ``realm`` (if any) and delete its cookie."""
    session = current(request, realm)
    if session is not None:
        terminate(session)
    response.delete_cookie(COOKIE_NAME, path=cookie_path(realm))
    return session


def terminate(session: UserSession) -> None:
    """End ``session`` wherever the browser is; what it issued is revoked by listeners."""
    from accounts.signals import session_ended

    UserSession.objects.filter(pk=session.pk, ended__isnull=True).update(ended=timezone.now())
    session_ended.send(sender=UserSession, session=session)
