"""Writing the audit log. Never pass a secret: values are stored as given (habit 6)."""

from accounts import rows
from accounts.addresses import client_ip
from accounts.models import Event, Realm, User

_SECRET_KEYS = {"password", "secret", "client_secret", "token", "code", "credentials", "value"}


def _client_ip(request) -> str | None:
    return (client_ip(request) or None) if request is not None else None


def _scrub(data):
    """Mask values under secret-looking keys, however deep (Django's _clean_credentials)."""
    if isinstance(data, dict):
        return {
            key: "********" if key.lower() in _SECRET_KEYS else _scrub(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_scrub(item) for item in data]
    return data


def user_event(type: str, **fields) -> Event:
    """LOGIN, LOGIN_ERROR, LOGOUT, CODE_TO_TOKEN_ERROR, REFRESH_TOKEN_ERROR, ...: the row
    ``new_user_event`` makes of ``fields``, written."""
    # One per login, refresh error and logout: the statement is built once (accounts/rows.py).
    return rows.create(new_user_event(type, **fields))


def new_user_event(
    type: str,
    *,
    realm: Realm | None,
    request=None,
    user: User | None = None,
    username: str = "",
    client_id: str = "",
    error: str = "",
    details: dict | None = None,
    ip_address: str | None = None,
) -> Event:
    """A user event's row, not yet written: ``user_event`` writes it, a login's LOGIN is
    written with its SSO session (accounts/sessions.start). Without a request (work done
    after it was answered), ``ip_address`` is the client's."""
    return Event(
        realm=realm,
        category=Event.Category.USER,
        type=type,
        user=user,
        username=username or (user.username if user else ""),
        client_id=client_id,
        ip_address=_client_ip(request) if request is not None else ip_address,
        error=error,
        details=_scrub(details or {}),
    )


def admin_event(
    operation: str,
    *,
    realm: Realm | None,
    actor: User | None,
    resource_type: str,
    resource_path: str,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
) -> Event:
    """CREATE, UPDATE, DELETE or ACTION on a resource, with its representation before/after."""
    return Event.objects.create(
        realm=realm,
        category=Event.Category.ADMIN,
        type=operation,
        user=actor,
        username=actor.username if actor else "",
        ip_address=_client_ip(request),
        resource_type=resource_type,
        resource_path=resource_path,
        before=_scrub(before) if before is not None else None,
        after=_scrub(after) if after is not None else None,
    )
