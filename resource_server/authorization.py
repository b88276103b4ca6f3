"""Method-level authorization, in the spirit of Spring's ``@PreAuthorize``: each view states
what the caller needs, next to the view.

    @require_scope("orders:write")
    @owner_or_role(order_owner, role="admin")
    def delete_order(request, order_id): ...

Scopes say what the client may do for the user; roles say what the user may do. The decorators
raise :class:`BearerError` (403 insufficient_scope, RFC 6750 §3.1) and the authentication
middleware answers with the challenge; a view reached without a principal (not marked public)
never gets here.
"""

import functools
from collections.abc import Callable

from django.http import Http404

from resource_server.auth import AccessDenied, InsufficientScope, MissingToken, Principal


def public(view):
    """The view answers without a token (health checks). Everything else requires one."""
    view.public = True
    return view


def _principal(request) -> Principal:
    principal = getattr(request, "principal", None)
    if principal is None:
        raise MissingToken()
    return principal


def _rule(check: Callable[[Principal, object, tuple, dict], None]):
    """A decorator factory's decorator: runs ``check`` before the view."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            check(_principal(request), request, args, kwargs)
            return view(request, *args, **kwargs)

        return guarded

    return decorate


def require_scope(*scopes: str):
    """Every one of ``scopes`` must have been granted (the token's ``scope`` claim)."""

    def check(principal, request, args, kwargs):
        missing = [scope for scope in scopes if not principal.has_scope(scope)]
        if missing:
            raise InsufficientScope(" ".join(scopes), detail=f"lacks {' '.join(missing)}")

    return _rule(check)


def require_role(role: str):
    """The subject must hold the realm role ``role`` (``realm_access.roles``)."""

    def check(principal, request, args, kwargs):
        if not principal.has_role(role):
            raise AccessDenied(f"the role {role} is required", detail=f"lacks realm role {role}")

    return _rule(check)


def require_client_role(client: str, role: str):
    """The subject must hold ``client``'s role ``role`` (``resource_access.{client}.roles``)."""

    def check(principal, request, args, kwargs):
        if not principal.has_client_role(client, role):
            raise AccessDenied(
                f"the role {client}:{role} is required", detail=f"lacks client role {client}:{role}"
            )

    return _rule(check)


def owner_or_role(owner_of: Callable[..., str | None], *, role: str = "admin"):
    """The subject must own the object, or hold the realm role ``role``.

    ``owner_of(request, *args, **kwargs)`` returns the ``sub`` of the object's owner, or None
    when there is no such object (404). Someone else's object is a 404 too, not a 403: a user
    learns nothing of the ids of other users' objects.
    """

    def check(principal, request, args, kwargs):
        owner = owner_of(request, *args, **kwargs)
        if owner is None or (owner != principal.sub and not principal.has_role(role)):
            raise Http404("no such object")

    return _rule(check)
