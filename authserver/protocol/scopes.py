"""Which scopes a client is granted, and the audiences they carry (Keycloak's client scopes)."""

from dataclasses import dataclass

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
    defaults = {scope.name: scope for scope in client.default_client_scopes.all()}
    optional = {scope.name: scope for scope in client.optional_client_scopes.all()}
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


def audiences_of(scopes) -> tuple[str, ...]:
    found: list[str] = []
    for scope in scopes:
        for audience in scope.audiences:
            if audience not in found:
                found.append(audience)
    return tuple(sorted(found))
