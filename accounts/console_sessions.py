"""Console sessions end AUTHSERVER_CONSOLE_SESSION_IDLE seconds after the last request and
AUTHSERVER_CONSOLE_SESSION_MAX seconds after the login, whichever comes first; the operator then
logs in again.

Both times are kept in the session itself (the database), so every worker decides alike. A
session that lacks them, one started before they were kept, counts as ended. The time of the
last request is written at most every ``_touch_seconds``, so that pages do not each write the
session (a write that races another request's could lose what that one saved).
"""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

STARTED = "console_session_started"
SEEN = "console_session_seen"


def _now() -> float:
    return timezone.now().timestamp()


def _touch_seconds() -> float:
    return min(60.0, settings.AUTHSERVER_CONSOLE_SESSION_IDLE / 10)


@receiver(user_logged_in)
def start(sender, request, user, **kwargs):
    """Console logins are the only Django logins: realm users have SSO sessions of their own."""
    session = getattr(request, "session", None)
    if session is not None:
        session[STARTED] = session[SEEN] = _now()


def live(request) -> bool:
    """Whether the console session of ``request``'s user is within both limits; one that is not
    is ended here (Django's logout: the session is deleted)."""
    session = request.session
    now = _now()
    started, seen = session.get(STARTED), session.get(SEEN)
    if (
        started is None
        or seen is None
        or now - started >= settings.AUTHSERVER_CONSOLE_SESSION_MAX
        or now - seen >= settings.AUTHSERVER_CONSOLE_SESSION_IDLE
    ):
        logout(request)
        return False
    if now - seen >= _touch_seconds():
        session[SEEN] = now
    return True
