from django.dispatch import receiver
from django.utils import timezone

from accounts.signals import session_ended
from authserver.models import AccessToken, RefreshToken


@receiver(session_ended, dispatch_uid="authserver.revoke_session_tokens")
def revoke_session_tokens(sender, session, **kwargs):
    """Logout ends what the session issued, except offline tokens (Keycloak's semantics)."""
    RefreshToken.objects.filter(session=session, offline=False, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    # An offline refresh token needs its access token: DOT treats one without it as an orphan.
    AccessToken.objects.filter(session=session).exclude(refresh_token__offline=True).delete()
