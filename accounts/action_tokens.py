"""Links sent by e-mail: single use, short-lived, and kept only as a SHA-256 hash (the link
carries 256 random bits). Issuing one for a user voids the user's earlier links of that kind."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import ActionToken, User

Kind = ActionToken.Kind
# Short for a reset link; longer to verify an address, which may wait in a mailbox.
LIFETIMES = {
    Kind.RESET_PASSWORD: timedelta(minutes=15),
    Kind.VERIFY_EMAIL: timedelta(hours=12),
    Kind.UPDATE_EMAIL: timedelta(hours=12),
    Kind.EXECUTE_ACTIONS: timedelta(hours=12),
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, kind: str, *, email: str) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    ActionToken.objects.filter(user=user, kind=kind, used__isnull=True).update(used=now)
    ActionToken.objects.create(
        user=user,
        kind=kind,
        token_hash=_hash(token),
        email=email,
        created=now,
        expires=now + LIFETIMES[kind],
    )
    return token


def peek(token: str, kind: str, realm) -> ActionToken | None:
    """The live token (not spent), to show its page; None when unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    found = (
        ActionToken.objects.select_related("user__realm")
        .filter(
            token_hash=_hash(token),
            kind=kind,
            used__isnull=True,
            expires__gt=timezone.now(),
            user__realm=realm,
            user__is_active=True,
        )
        .first()
    )
    return found


def spend(token: str, kind: str, realm) -> ActionToken | None:
    """The live token, spent: of two requests with one link, only one gets it."""
    found = peek(token, kind, realm)
    if found is None:
        return None
    with transaction.atomic():
        spent = ActionToken.objects.filter(pk=found.pk, used__isnull=True).update(
            used=timezone.now()
        )
    return found if spent == 1 else None
