"""SSO sessions: one per browser and realm, in the database, found by a hashed cookie secret.

Over http the cookie is scoped to /realms/NAME/, as Keycloak's is, so a browser can be signed in
to two realms at once and one realm's cookie never reaches another's pages. Over https it is
``__Host-AUTHSERVER_SESSION_NAME``: a ``__Host-`` cookie is Secure, Path=/ and host-only, so no
sibling subdomain and no plain-http page can set one of that name (cookie tossing), and the
realm's name in the cookie's keeps two realms apart.

A browser may still send several cookies of one name (set for another path, or for a parent
domain, over http): every value is tried and the one that names a live session wins. Django's
``request.COOKIES`` keeps only the last, which a planted cookie sent after ours would shadow
(the login would then loop).
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import rows
from accounts.addresses import client_ip
from accounts.models import Event, Realm, User, UserSession

COOKIE_NAME = "AUTHSERVER_SESSION"
# OIDC Session Management 1.0 §4.1: the OP's "browser state", which the login-status iframe reads
# with JavaScript. It holds the session's public id (the tokens' ``sid``, the ``session_state``
# of every answer), never the secret of the session cookie.
STATE_COOKIE_NAME = "AUTHSERVER_SESSION_STATE"
_SECURE_PREFIX = "__Host-"
# More values than this of one cookie are not looked up: a browser sends its own and a planted one.
_MAX_VALUES = 8
# last_seen is written at most this often, so a busy page does not write on every request.
_TOUCH_INTERVAL = timedelta(seconds=30)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def cookie_name(realm: Realm) -> str:
    return f"{_SECURE_PREFIX}{COOKIE_NAME}_{realm.name}" if settings.SECURE else COOKIE_NAME


def state_cookie_name(realm: Realm) -> str:
    return (
        f"{_SECURE_PREFIX}{STATE_COOKIE_NAME}_{realm.name}"
        if settings.SECURE
        else STATE_COOKIE_NAME
    )


def cookie_path(realm: Realm) -> str:
    return "/" if settings.SECURE else f"/realms/{realm.name}/"


def cookie_values(request, name: str) -> list[str]:
    """Every value the Cookie header gives ``name``, in order (RFC 6265 §5.4: a browser sends
    one cookie per path and domain that matches, all under the same name)."""
    values = []
    for pair in request.META.get("HTTP_COOKIE", "").split(";"):
        key, equals, value = pair.partition("=")
        value = value.strip()
        if equals and value and key.strip() == name:
            values.append(value)
    return values[:_MAX_VALUES]


def start(
    request,
    response,
    user: User,
    *,
    amr: list[str] | None = None,
    event: Callable[[UserSession], Event] | None = None,
) -> UserSession:
    """Start a new session (a new secret: the id is rotated at every login) and set its cookie.
    ``amr``: how the user authenticated (RFC 8176), for the ID tokens of the session.
    ``event``: the audit event of the new session, written with it (accounts/rows.create_all)."""
    end(request, response, user.realm)
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    session = UserSession(
        realm=user.realm,
        user=user,
        key_hash=_hash(secret),
        started=now,
        last_seen=now,
        ip_address=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        amr=amr or ["pwd"],
    )
    rows.create_all(session, *([event(session)] if event is not None else []))
    response.set_cookie(
        cookie_name(user.realm),
        secret,
        max_age=user.realm.sso_session_max_lifespan,
        path=cookie_path(user.realm),
        secure=settings.SECURE,
        httponly=True,
        samesite="Lax",
    )
    _set_state_cookie(response, session)
    return session


def _set_state_cookie(response, session: UserSession) -> None:
    # Read inside a relying party's frame: over https a cross-site frame gets it (None needs
    # Secure); over http only a same-site one does.
    response.set_cookie(
        state_cookie_name(session.realm),
        str(session.sid),
        max_age=session.realm.sso_session_max_lifespan,
        path=cookie_path(session.realm),
        secure=settings.SECURE,
        httponly=False,
        samesite="None" if settings.SECURE else "Lax",
    )


def keep_state_cookie(request, response, session: UserSession) -> None:
    """Set the session-state cookie again where the browser lacks it (a session begun before
    it existed, a cookie cleared alone): without it the login-status iframe would report the
    session changed after every login, and the client would go round in circles."""
    if str(session.sid) not in cookie_values(request, state_cookie_name(session.realm)):
        _set_state_cookie(response, session)


def start_without_cookie(user: User, *, ip_address: str | None) -> UserSession:
    """A session with no browser: what a password grant (Keycloak's direct access grant)
    starts, so that its refresh token lives and ends as a browser session's does. Its secret
    is thrown away: no request can ever carry it."""
    now = timezone.now()
    return UserSession.objects.create(
        realm=user.realm,
        user=user,
        key_hash=_hash(secrets.token_urlsafe(32)),
        started=now,
        last_seen=now,
        ip_address=ip_address or None,
        amr=["pwd"],
    )


def current(request, realm: Realm) -> UserSession | None:
    """The live session this request carries for ``realm``, or None: of several cookies of
    the session's name, the one that names a live session (the newest, if more do)."""
    secrets_sent = cookie_values(request, cookie_name(realm))
    if not secrets_sent:
        return None
    now = timezone.now()
    found = (
        UserSession.objects.select_related("realm", "user")
        .filter(key_hash__in=[_hash(secret) for secret in secrets_sent], realm=realm)
        .order_by("-started")
    )
    session = next(
        (each for each in found if each.is_live(now) and each.user.is_active),
        None,
    )
    if session is None:
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
    response.delete_cookie(cookie_name(realm), path=cookie_path(realm))
    response.delete_cookie(
        state_cookie_name(realm),
        path=cookie_path(realm),
        samesite="None" if settings.SECURE else "Lax",
    )
    return session


def terminate(session: UserSession) -> None:
    """End ``session`` wherever the browser is; what it issued is revoked by listeners."""
    from accounts.signals import session_ended

    UserSession.objects.filter(pk=session.pk, ended__isnull=True).update(ended=timezone.now())
    session_ended.send(sender=UserSession, session=session)


def end_expired(*, now=None, limit: int = 200) -> int:
    """End the sessions that expired without a logout (idle too long, or past their maximum
    lifetime) and tell the listeners, as a logout does but with ``expired=True``; at most
    ``limit`` of them, the number ended. Once each: the conditional update lets one process
    end a session, whoever else looks at it. Its ``ended`` is when it expired.

    One indexed query per realm (the live sessions by ``last_seen`` and by ``started``), so
    that a process may call it every few seconds (manage.py deliver_logouts does)."""
    now = now or timezone.now()
    done = 0
    for realm in Realm.objects.only("sso_session_idle_timeout", "sso_session_max_lifespan"):
        idle = timedelta(seconds=realm.sso_session_idle_timeout)
        lifespan = timedelta(seconds=realm.sso_session_max_lifespan)
        expired = (
            UserSession.objects.filter(realm=realm, ended__isnull=True)
            .filter(Q(last_seen__lte=now - idle) | Q(started__lte=now - lifespan))
            .select_related("user")
            .order_by()[: limit - done]
        )
        for session in expired:
            session.realm = realm
            done += _end_expired(session, min(session.last_seen + idle, session.started + lifespan))
        if done >= limit:
            break
    return done


def _end_expired(session: UserSession, at) -> bool:
    from accounts.signals import session_ended

    with transaction.atomic():
        if not UserSession.objects.filter(pk=session.pk, ended__isnull=True).update(ended=at):
            return False
        session.ended = at
        session_ended.send(sender=UserSession, session=session, expired=True)
    return True
