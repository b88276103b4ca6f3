"""What the log records of the request being served say about it: its id, realm, client, user
and event.

One dict per request, opened by the request-id middleware and emptied when the answer has been
sent (Django's ``request_finished``, after its own log line about a 4xx or 5xx); a context
variable, so each thread of a gthread worker sees its own. Outside a request (a management
command, gunicorn's master) every field is empty. The realm and the user are read from the
request when a record is written, so nothing is looked up for a request that logs nothing.
"""

import contextvars

from django.core.signals import request_finished
from django.dispatch import receiver

FIELDS = ("request_id", "realm", "client", "user_id", "event")

_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "authserver_request", default=None
)


def open_request(request, request_id: str) -> None:
    _current.set({"request_id": request_id, "request": request})


@receiver(request_finished, dispatch_uid="authserver.observability.close_request")
def close_request(**kwargs) -> None:
    _current.set(None)


def bind(**fields: str) -> None:
    """Add fields to the current request's context; nothing outside a request."""
    current = _current.get()
    if current is not None:
        current.update({name: value for name, value in fields.items() if value})


def get(name: str) -> str:
    current = _current.get()
    return current.get(name, "") if current is not None else ""


def fields() -> dict:
    current = _current.get()
    if current is None:
        return dict.fromkeys(FIELDS, "")
    request = current.get("request")
    found = {name: current.get(name, "") for name in FIELDS}
    realm = getattr(request, "realm", None)
    if realm is not None:
        found["realm"] = realm.name
    # Only a user the request has already loaded (AuthenticationMiddleware's cache): a log
    # line never costs a session or user query.
    user = getattr(request, "_cached_user", None)
    if not found["user_id"] and user is not None and user.is_authenticated:
        found["user_id"] = str(getattr(user, "subject", "") or "")
    return found
