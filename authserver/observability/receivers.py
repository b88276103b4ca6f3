"""Metrics and log fields from what other code records already: the audit log's user events
and the exceptions Django sees escape a view (signal receivers, connected by
AuthserverConfig.ready); and the one call the protocol core makes, when it meets a refresh
token used again."""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import DatabaseError
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Event
from authserver.observability import context, metrics

log = logging.getLogger("authserver.events")

_LOGIN = "LOGIN"
_LOGIN_ERROR = "LOGIN_ERROR"


@receiver(post_save, sender=Event, dispatch_uid="authserver.observability.user_event")
def count_user_event(sender, instance: Event, created: bool, raw=False, **kwargs):
    """LOGIN and LOGIN_ERROR (and any other user event) by realm, as Keycloak names them; the
    event's realm, client and user join the request's log fields, and one line says it."""
    if not created or raw or instance.category != Event.Category.USER:
        return
    # The realm object the event was created with: no query.
    realm = instance.realm.name if instance.realm_id else ""
    metrics.user_events.labels(realm, instance.type).inc()
    if instance.type == _LOGIN:
        metrics.logins.labels(realm, instance.client_id).inc()
    elif instance.type == _LOGIN_ERROR:
        metrics.failed_logins.labels(realm, instance.client_id, instance.error).inc()
    context.bind(
        realm=realm,
        client=instance.client_id,
        user_id=str(instance.user.subject) if instance.user_id else "",
        event=instance.type,
    )
    log.info("%s%s", instance.type, f" error={instance.error}" if instance.error else "")


@receiver(got_request_exception, dispatch_uid="authserver.observability.database_error")
def count_database_error(sender, **kwargs):
    """A request that failed on the database (views/server_error.py answers it 503 or 500)."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        metrics.database_errors.labels(type(error).__name__).inc()


def refresh_token_reused(*, realm: str, client: str) -> None:
    """A rotated or revoked refresh token was presented again: its family is revoked."""
    metrics.refresh_token_reuse.labels(realm, client).inc()
    log.warning("refresh token reuse detected: its token family is revoked")
