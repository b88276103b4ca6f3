from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import Realm
from accounts.signals import session_ended
from authserver.adminapi import realm_management
from authserver.backchannel import delivery, outbox
from authserver.models import AccessToken, RefreshToken


@receiver(session_ended, dispatch_uid="authserver.backchannel_logout")
def tell_clients_of_the_logout(sender, session, expired=False, **kwargs):
    """Back-Channel Logout 1.0: queued in the logout's transaction, sent after it. Connected
    before revoke_session_tokens, which deletes the exchanged tokens that name some of the
    session's clients. An expired session is noticed by manage.py deliver_logouts, which sends
    what it queued itself."""
    deliveries = outbox.enqueue(session)
    if not expired:
        delivery.soon(deliveries)


@receiver(session_ended, dispatch_uid="authserver.revoke_session_tokens")
def revoke_session_tokens(sender, session, **kwargs):
    """Logout ends what the session issued, except offline tokens (Keycloak's semantics)."""
    RefreshToken.objects.filter(session=session, offline=False, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    # An offline refresh token needs its access token: DOT treats one without it as an orphan.
    AccessToken.objects.filter(session=session).exclude(refresh_token__offline=True).delete()


@receiver(post_save, sender=Realm, dispatch_uid="authserver.create_realm_management")
def create_realm_management(sender, instance, created, raw=False, **kwargs):
    """Every realm has its realm-management client and admin roles, as in Keycloak; the master
    realm has admin-cli too."""
    if created and not raw:
        realm_management.ensure(instance)
        realm_management.ensure_admin_cli(instance)
