"""Which scopes a client is granted, and the audiences they carry (Keycloak's client scopes)."""

from dataclasses import dataclass

from django.db.models import Value

from accounts.models import ClientScope
from authserver.protocol.errors import InvalidScope

# Longer scope strings are refused before any lookup.
MAX_SCOPE_LENGTH = 2048


@dataclass(frozen=True)
class ScopeGrant:
    names: frozenset[str]
    audiences: tuple[str, ...]

    @property
    def as_string(self) -> str:
        return " ".join(sorted(self.names))


def parse(scope: str | None) -> set[str]:
    """RFC 6749 §3.3: space-delimited, case-sensitive scope tokens."""
    if not scope:
        return set()
    if len(scope) > MAX_SCOPE_LENGTH:
        raise InvalidScope("scope is too long")
    return set(scope.split())


def grant(client, requested: set[str]) -> ScopeGrant:
    """Default scopes always, optional ones when asked for; anything else is invalid_scope.

    ``openid`` is granted only when asked for, as OIDC Core §3.1.2.1 requires.
    """
    defaults, optional = client_scopes(client)
    allowed = defaults | optional
    unknown = requested - set(allowed) - {"openid"}
    if unknown:
        raise InvalidScope(
            f"scope not allowed for this client: {' '.join(sorted(unknown))}",
            detail=f"client {client.client_id} asked for {sorted(unknown)}",
        )
    granted = {name: scope for name, scope in defaults.items() if name != "openid"}
    granted |= {name: allowed[name] for name in requested if name in allowed}
    names = set(granted)
    if "openid" in requested:
        names.add("openid")
    return ScopeGrant(frozenset(names), audiences_of(granted.values()))


def client_scopes(client) -> tuple[dict, dict]:
    """The client's default and optional scopes, by name: one query, then remembered on this
    client instance (a token request asks three times; each request loads its own client)."""
    cached = getattr(client, "_client_scopes", None)
    if cached is None:
        default = ClientScope.objects.filter(default_for_clients=client).annotate(
            is_default=Value(True)
        )
        optional = ClientScope.objects.filter(optional_for_clients=client).annotate(
            is_default=Value(False)
        )
        cached = ({}, {})
        for scope in default.order_by().union(optional.order_by(), all=True):
            cached[0 if scope.is_default else 1][scope.name] = scope
        client._client_scopes = cached
    return cached


def audiences_of(scopes) -> tuple[str, ...]:
    found: list[str] = []
    for scope in scopes:
        for audience in scope.audiences:
            if audience not in found:
                found.append(audience)
    return tuple(sorted(found))
