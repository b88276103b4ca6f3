"""What the account console reads and changes for the signed-in user: no HTTP here.

Sessions are listed with the applications they issued tokens to (read through the swappable
token models, since accounts never imports the provider).
"""

import uuid

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts import sessions
from accounts.models import Event, User, UserSession

RECENT_EVENTS = 30


def live_sessions(user: User) -> list[UserSession]:
    now = timezone.now()
    found = UserSession.objects.select_related("realm").filter(user=user, ended__isnull=True)
    live = [session for session in found if session.is_live(now)]
    clients = _clients_by_session([session.pk for session in live])
    for session in live:
        session.clients = sorted(clients.get(session.pk, ()))
    return live


def _clients_by_session(ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for setting in ("OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL", "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"):
        model = apps.get_model(getattr(settings, setting))
        rows = model._default_manager.filter(session_id__in=ids).values_list(
            "session_id", "application__name", "application__client_id"
        )
        for session_id, name, client_id in rows:
            found.setdefault(session_id, set()).add(name or client_id)
    return found


def end_session(user: User, sid: str) -> bool:
    """End one of the user's own sessions (found by its public id), wherever it is."""
    try:
        sid = uuid.UUID(sid)
    except ValueError:
        return False
    session = UserSession.objects.filter(user=user, sid=sid, ended__isnull=True).first()
    if session is None:
        return False
    sessions.terminate(session)
    return True


def end_other_sessions(user: User, keep: UserSession) -> int:
    others = UserSession.objects.filter(user=user, ended__isnull=True).exclude(pk=keep.pk)
    count = 0
    for session in others:
        sessions.terminate(session)
        count += 1
    return count


def recent_events(user: User) -> list[Event]:
    """The user's events, and the failed logins under the username (which name no user)."""
    mine = Q(user=user) | Q(user__isnull=True, username=user.username)
    found = Event.objects.filter(mine, realm=user.realm, category=Event.Category.USER)
    return list(found.order_by("-created", "-id")[:RECENT_EVENTS])
