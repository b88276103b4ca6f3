"""Who is calling, and what they may do on which realm.

The caller is the user (or client service account) of a bearer access token, checked against
the realm that issued it. Its admin roles are the client roles of that realm's
``realm-management`` client that the user holds now, directly or through groups: they are read
at each request, so taking a role away takes effect at once, not when the token expires.

- a token of realm X carrying realm-management roles manages realm X, and only X;
- a token of the ``master`` realm whose user is a superuser manages every realm;
- ``manage-*`` implies the matching ``view-*``; ``realm-admin`` implies every role.

Who may grant which role and take over which account is decided by accounts.permissions.
"""

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.http import Http404

from accounts import permissions
from accounts.models import Realm, User
from accounts.realms import cached_realm_or_404
from authserver.adminapi import audience, realm_management
from authserver.protocol import bearer, jwt, presentation
from authserver.protocol.claims import effective_roles
from authserver.protocol.errors import InvalidToken

_REALMS_PREFIX = "/realms/"


@dataclass(frozen=True)
class Caller:
    user: User
    realm: Realm
    roles: frozenset[str]

    @cached_property
    def authority(self) -> permissions.Authority:
        """What the caller holds, as the rule of who may grant and take over what reads it
        (accounts.permissions, shared with the console and the realm-file import)."""
        return permissions.of_realm_user(self.user, self.roles)

    @property
    def superuser(self) -> bool:
        return self.authority.superuser

    def sees(self, realm: Realm) -> bool:
        """Whether ``realm`` exists for this caller at all (else: 404, as if it did not): its
        own realm, or every realm for a superuser of the master realm."""
        return self.superuser or realm.pk == self.realm.pk

    def administers(self, realm: Realm) -> bool:
        """Whether the caller holds any admin role in ``realm`` (GET /admin/realms lists it)."""
        return self.superuser or (realm.pk == self.realm.pk and bool(self.roles))

    def may(self, realm: Realm, role: str) -> bool:
        return self.authority.holds(realm.pk, role)


def authenticate(
    given: presentation.Presented,
    *,
    proof: str | None = None,
    method: str = "GET",
    url: str = "",
    environ=None,
) -> Caller:
    """The caller of an access token of one of our realms meant for the admin API
    (audience.py), as a bearer token or bound to a DPoP key with ``proof`` of it for ``method``
    ``url`` (RFC 9449 §7.1), presented over the request of WSGI ``environ`` (a token bound to a
    certificate needs it, RFC 8705 §3); InvalidToken (or a DPoP refusal) otherwise."""
    realm = _issuing_realm(given.token)
    if realm is None:
        raise InvalidToken(bearer.INVALID, detail="admin API: no enabled realm issued this token")
    presented = presentation.holder(
        realm, given, proof=proof, method=method, url=url, environ=environ or {}
    )
    audience.check(realm, presented)
    user = presented.user
    if user is None:
        raise InvalidToken(bearer.INVALID, detail="admin API: the token has no user")
    return Caller(user=user, realm=realm, roles=frozenset(_admin_roles(user)))


def _issuing_realm(token: str) -> Realm | None:
    """The enabled realm named by the token's ``iss``; bearer.authenticate then checks that
    this realm really signed it."""
    issuer = (jwt.unverified_claims(token) or {}).get("iss")
    prefix = settings.AUTHSERVER_URL + _REALMS_PREFIX
    if not isinstance(issuer, str) or not issuer.startswith(prefix):
        return None
    try:
        return cached_realm_or_404(issuer.removeprefix(prefix))
    except Http404:
        return None


def _admin_roles(user: User) -> set[str]:
    return {
        role.name
        for role in effective_roles(user)
        if role.client_id is not None
        and role.client.client_id == realm_management.CLIENT_ID
        and role.realm_id == user.realm_id
    }
