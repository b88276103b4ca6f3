"""OpenID Connect Front-Channel Logout 1.0: the frames the end-session page shows when a session
ends, one per client of the session (protocol/session_clients.py) that has front-channel
logout on and a URL (Keycloak's ``frontchannelLogout`` and ``frontchannel.logout.url``).

§2: the OP renders ``<iframe src="frontchannel_logout_uri">`` in the page it shows after the
logout; with ``frontchannel.logout.session.required`` (on unless ``false``), the URL carries
``iss`` and ``sid`` as query parameters, after any it has (§3).
"""

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from accounts.models import UserSession
from authserver.protocol import origins, session_clients

log = logging.getLogger(__name__)

# What the page's Content-Security-Policy may name in frame-src: an ASCII origin, nothing that
# could end the directive or the header.
_SAFE_ORIGIN = re.compile(r"https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?", re.ASCII)


@dataclass(frozen=True)
class Frame:
    client_id: str
    url: str
    origin: str


def frames(session: UserSession | None) -> list[Frame]:
    """The front-channel frames of ``session``'s clients, read before it ends (its exchanged
    tokens, which name clients too, are deleted by the logout)."""
    if session is None:
        return []
    found = []
    for client in session_clients.of(session):
        url = client.frontchannel_logout_url
        if not url:
            continue
        origin = origins.origin_of(url)
        if origin is None or not _SAFE_ORIGIN.fullmatch(origin):
            log.warning("front-channel logout URL of %s left out: no usable origin", client)
            continue
        if client.frontchannel_logout_session_required:
            url = _with_query(url, {"iss": client.realm.issuer, "sid": str(session.sid)})
        found.append(Frame(client.client_id, url, origin))
    return found


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    added = urlencode(params)
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
