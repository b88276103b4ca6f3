"""Which clients hear of an ended session, and the logout tokens they are sent (Back-Channel
Logout 1.0 §2.4, §2.5). Keycloak's client attributes say where and how:
``backchannel.logout.url`` and ``backchannel.logout.session.required`` (``sid`` in the token,
on unless ``false``)."""

import time
import uuid

from django.utils import timezone

from accounts.models import UserSession
from authserver.backchannel.models import LogoutDelivery
from authserver.models import Client
from authserver.protocol import jwt, session_clients

EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4: RECOMMENDED to be short; the client checks it when it arrives.
TOKEN_LIFETIME = 120
TOKEN_TYPE = "logout+jwt"


def logout_url(client: Client) -> str:
    return client.backchannel_logout_url


def enqueue(session: UserSession) -> list[LogoutDelivery]:
    """One delivery per client of ``session`` (protocol/session_clients.py) that has a
    back-channel logout URI; written in the logout's transaction, sent after it
    (delivery.py)."""
    clients = session_clients.of(session)
    now = timezone.now()
    return LogoutDelivery.objects.bulk_create(
        LogoutDelivery(
            client=client,
            sid=str(session.sid),
            subject=str(session.user.subject),
            next_attempt=now,
        )
        for client in clients
        if logout_url(client)
    )


def logout_token(delivery: LogoutDelivery) -> str:
    """§2.4: iss, aud, iat, exp, jti, events, and sub and sid; never a nonce."""
    client = delivery.client
    now = int(time.time())
    claims = {
        "iss": client.realm.issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "jti": str(uuid.uuid4()),
        "events": {EVENT: {}},
        "sub": delivery.subject,
    }
    if client.backchannel_logout_session_required:
        claims["sid"] = delivery.sid
    return jwt.sign(client.realm, claims, typ=TOKEN_TYPE)
