"""A realm's registration policy (Keycloak's client registration policies, the subset that
matters for clients registering themselves): on or off, trusted redirect hosts, allowed client
scopes, the most clients the realm holds this way."""

from urllib.parse import urlsplit

from accounts.models import ClientScope, Realm
from accounts.realms import for_realm
from authserver.protocol.errors import AccessDenied
from authserver.registration.metadata import InvalidClientMetadata, InvalidRedirectUri
from authserver.registration.models import ClientRegistration, RegistrationPolicy


class RegistrationRefused(AccessDenied):
    """The realm's policy refuses the registration whatever its metadata."""


def of_realm(realm: Realm) -> RegistrationPolicy:
    """The realm's policy; a realm that never had one has registration off."""
    found = RegistrationPolicy.objects.filter(realm=realm).first()
    return found or RegistrationPolicy(realm=realm)


def is_enabled(realm: Realm) -> bool:
    return RegistrationPolicy.objects.filter(realm=realm, enabled=True).exists()


def check_room(policy: RegistrationPolicy) -> None:
    registered = ClientRegistration.objects.filter(client__realm=policy.realm).count()
    if registered >= policy.max_clients:
        raise RegistrationRefused(
            f"the realm holds at most {policy.max_clients} dynamically registered clients"
        )


def check_redirect_uris(policy: RegistrationPolicy, uris: list[str]) -> None:
    _check_hosts(policy, uris, InvalidRedirectUri)


def check_logout_uris(policy: RegistrationPolicy, uris: list[str]) -> None:
    """Front- and back-channel logout URIs: a browser is framed there, this server POSTs there;
    at the hosts the realm trusts, as its redirect URIs."""
    _check_hosts(policy, uris, InvalidClientMetadata)


def _check_hosts(policy: RegistrationPolicy, uris: list[str], error: type) -> None:
    trusted = policy.trusted_hosts.split()
    if not trusted:
        return
    for uri in uris:
        host = _host(uri)
        if host is None or not any(_matches(host, entry.lower()) for entry in trusted):
            raise error(f"{uri} is not at a host this realm trusts")


def check_scopes(policy: RegistrationPolicy, names: list[str]) -> None:
    defined = set(for_realm(ClientScope, policy.realm).values_list("name", flat=True))
    allowed = set(policy.allowed_scopes.split()) or defined
    for name in names:
        if name not in defined or name not in allowed:
            raise InvalidClientMetadata(f"scope {name!r} may not be registered")


def _host(uri: str) -> str | None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    return (parts.hostname or "").lower() or None


def _matches(host: str, entry: str) -> bool:
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    return host == entry
