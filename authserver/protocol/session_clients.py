"""The clients that took part in an SSO session, which its logout is told of (back-channel and
front-channel logout): those issued a refresh token in it (a login, the password or device
grant), and those that exchanged one of its access tokens on the user's behalf (RFC 8693; the
exchanged token is kept with the session, as Keycloak adds the exchanging client to the user's
session). Read before the session's tokens are revoked, which deletes the exchanged ones."""

from django.db.models import Q, QuerySet

from accounts.models import UserSession
from accounts.realms import for_realm
from authserver.models import AccessToken, Client, RefreshToken


def of(session: UserSession) -> QuerySet[Client]:
    """The enabled clients of ``session``, with their realm."""
    families = RefreshToken.objects.filter(session=session).values("application_id")
    exchanges = AccessToken.objects.filter(session=session).values("application_id")
    return (
        for_realm(Client, session.realm_id)
        .filter(Q(pk__in=families) | Q(pk__in=exchanges), enabled=True)
        .select_related("realm")
        .order_by("client_id")
    )
