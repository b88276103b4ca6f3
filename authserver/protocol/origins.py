"""Which browser origins may read a realm's answers (CORS): its clients' web origins.

A client's ``allowed_origins`` is Keycloak's ``webOrigins``, space-separated; ``+`` stands for
the origins of the client's redirect URIs. A realm allows the origins of its enabled clients.
Keycloak's ``*`` (every origin), which only a realm file brings in, is honoured as Keycloak
honours it, unless the realm requires exact redirect URIs: then it matches nothing.
"""

from urllib.parse import urlsplit

from django.core.cache import cache

from accounts.models import Realm
from accounts.realms import for_realm
from accounts.storable import storable
from authserver.models import Client

# A change to a client's web origins reaches every process within this time.
CACHE_SECONDS = 60
SAME_AS_REDIRECT_URIS = "+"
ANY = "*"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, as a browser writes it in ``Origin``
    (RFC 6454 §6.1: lower case, default port omitted); None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def of_client(client: Client, realm: Realm | None = None) -> frozenset[str]:
    """The client's origins; ``ANY`` among them stands for every origin."""
    found: set[str | None] = set()
    for entry in client.allowed_origins.split():
        if entry == SAME_AS_REDIRECT_URIS:
            found |= {origin_of(uri) for uri in client.redirect_uris.split()}
        elif entry == ANY:
            # The realm is read only for a client with the wildcard.
            found.add(None if (realm or client.realm).exact_redirect_uris else ANY)
        else:
            found.add(origin_of(entry))
    found.discard(None)
    return frozenset(found)


def _among(origin: str, allowed: frozenset[str]) -> bool:
    return origin in allowed or ANY in allowed


def of_realm(realm: Realm) -> frozenset[str]:
    """The web origins of the realm's enabled clients, cached for ``CACHE_SECONDS``."""

    def load() -> list[str]:
        clients = for_realm(Client, realm).filter(enabled=True)
        found: set[str] = set()
        for client in clients.only("allowed_origins", "redirect_uris"):
            found |= of_client(client, realm)
        return sorted(found)

    return frozenset(cache.get_or_set(f"web-origins:{realm.pk}", load, CACHE_SECONDS))


def _exact(origin: str | None) -> str | None:
    """The origin if it is already in the form a browser sends, else None."""
    if not origin:
        return None
    return origin if origin_of(origin) == origin else None


def realm_allows(realm: Realm, origin: str | None) -> bool:
    origin = _exact(origin)
    return origin is not None and _among(origin, of_realm(realm))


def client_allows(client: Client, origin: str | None) -> bool:
    origin = _exact(origin)
    return origin is not None and _among(origin, of_client(client))


def named_client(realm: Realm, client_id: str | None) -> Client | None:
    """The realm's enabled client ``client_id`` names, for a CORS answer; None if there is none.
    Not authentication: it only decides which client's web origins may read the answer."""
    if not client_id or len(client_id) > 255 or not storable(client_id):
        return None
    return for_realm(Client, realm).filter(client_id=client_id, enabled=True).first()
