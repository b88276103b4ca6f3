"""Who is calling: the subject of a validated access token, in the terms a resource's rules use
(Keycloak's ``realm_access`` and ``resource_access`` roles, RFC 9068 §2.2.3's ``scope``,
RFC 8693 §4.1's ``act``)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType


@dataclass(frozen=True)
class Principal:
    sub: str
    username: str | None
    client: str | None
    scopes: frozenset[str]
    act: Mapping | None
    claims: Mapping = field(repr=False)
    # The token itself, for a token exchange on the subject's behalf; never logged.
    token: str = field(repr=False)

    @classmethod
    def from_claims(cls, claims: dict, token: str) -> "Principal":
        scope = claims.get("scope")
        act = claims.get("act")
        return cls(
            sub=claims["sub"],
            username=_string(claims.get("preferred_username")),
            # RFC 9068 §2.2 names the client client_id; Keycloak's older tokens only azp.
            client=_string(claims.get("client_id")) or _string(claims.get("azp")),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            act=MappingProxyType(act) if isinstance(act, dict) else None,
            claims=MappingProxyType(claims),
            token=token,
        )

    # Roles are read by few requests: worked out on first use (cached_property writes the
    # instance's __dict__ directly, which a frozen dataclass allows).
    @cached_property
    def roles(self) -> frozenset[str]:
        """Realm roles (Keycloak's ``realm_access.roles``)."""
        return _roles(self.claims.get("realm_access"))

    @cached_property
    def client_roles(self) -> Mapping[str, frozenset[str]]:
        """Client roles by client (Keycloak's ``resource_access.{client}.roles``)."""
        access = self.claims.get("resource_access")
        if not isinstance(access, dict):
            return MappingProxyType({})
        return MappingProxyType({name: _roles(each) for name, each in access.items()})

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_client_role(self, client: str, role: str) -> bool:
        return role in self.client_roles.get(client, frozenset())

    @property
    def actor(self) -> str | None:
        """Who acts: the ``act`` party of a delegated token (RFC 8693 §4.1), else the client."""
        if self.act is not None and isinstance(self.act.get("sub"), str):
            return self.act["sub"]
        return self.client

    @property
    def actor_client(self) -> str | None:
        """The client that acts: ``act.client_id`` of a delegated token, else the client."""
        if self.act is not None and isinstance(self.act.get("client_id"), str):
            return self.act["client_id"]
        return self.client


def _roles(access) -> frozenset[str]:
    roles = access.get("roles") if isinstance(access, dict) else None
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(role for role in roles if isinstance(role, str))


def _string(value) -> str | None:
    return value if isinstance(value, str) and value else None
