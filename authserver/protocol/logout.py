"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2, §3): which client asks, and
where the browser may go afterwards. Plain values in, typed errors out."""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from accounts.models import Realm
from accounts.storable import storable
from authserver.models import Client
from authserver.protocol import id_token_hint
from authserver.protocol.errors import InvalidRequest

MAX_PARAM_LENGTH = 4096


@dataclass(frozen=True)
class LogoutRequest:
    client: Client | None
    redirect_uri: str | None
    state: str | None
    hint: dict | None

    def matches(self, session) -> bool:
        """Whether the id_token_hint names this browser's session (then no confirmation)."""
        if self.hint is None or session is None:
            return False
        return self.hint.get("sid") == str(session.sid) or (
            "sid" not in self.hint and self.hint.get("sub") == str(session.user.subject)
        )

    def redirect_target(self) -> str | None:
        if not self.redirect_uri:
            return None
        parts = urlsplit(self.redirect_uri)
        query = parts.query
        if self.state:
            query = (
                f"{query}&{urlencode({'state': self.state})}"
                if query
                else urlencode({"state": self.state})
            )
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _client(realm: Realm, client_id: str) -> Client:
    client = Client.objects.filter(realm=realm, client_id=client_id, enabled=True).first()
    if client is None:
        raise InvalidRequest("unknown client_id")
    return client


def _allowed_redirects(client: Client) -> set[str]:
    registered = set(client.post_logout_redirect_uris.split())
    if "+" in registered:  # Keycloak: "+" means the client's redirect URIs.
        registered |= set(client.redirect_uris.split())
    return registered - {"+"}


def parse(realm: Realm, params: dict[str, str]) -> LogoutRequest:
    for name, value in params.items():
        if value and len(value) > MAX_PARAM_LENGTH:
            raise InvalidRequest(f"parameter {name} is too long")
        if not storable(value):
            raise InvalidRequest(f"parameter {name} holds a NUL character")
    token = params.get("id_token_hint")
    hint = id_token_hint.claims(realm, token) if token else None
    client_id = params.get("client_id") or None
    if hint is not None:
        audience = hint.get("aud")
        hinted = audience if isinstance(audience, str) else hint.get("azp")
        if client_id and client_id != hinted:
            raise InvalidRequest("client_id does not match id_token_hint")
        client_id = hinted
    client = _client(realm, client_id) if client_id else None
    redirect_uri = params.get("post_logout_redirect_uri") or None
    if redirect_uri is not None:
        if client is None:
            raise InvalidRequest("post_logout_redirect_uri needs id_token_hint or client_id")
        if redirect_uri not in _allowed_redirects(client):
            raise InvalidRequest("post_logout_redirect_uri is not registered for this client")
    return LogoutRequest(client, redirect_uri, params.get("state") or None, hint)
