"""Who may grant which admin role, and take over which account, in a realm.

The admin roles are the client roles of a realm's ``realm-management`` client (Keycloak's):
``view-*`` to read, ``manage-*`` to change (and read), ``realm-admin`` all of them. What a caller
holds is an :class:`Authority`; the console, the admin API and the realm-file import each build
one and ask the functions below, none decides alone. The rules:

- **Grant**: an admin role may enter or leave the effective role set of a principal (a user, a
  client's service account, a group's own mappings) only by the hand of a caller who holds it.
  The effective set counts roles mapped directly and through groups and every group above them,
  and it is compared before and after the whole change (:func:`guarded`), so joining a group,
  mapping a role to a group, moving a group, renaming or deleting a role are all caught, not
  only a direct mapping. A composite role counts as every role it contains (transitively), so
  making a role contain an admin role is granting that admin role to each of its holders.
- **Take over**: changing, disabling, deleting a user or setting their password needs every
  admin role the user holds (:func:`may_take_over`); a console account (staff or superuser) is
  a superuser's alone. A client's credentials (its secret, its registered keys) are its service
  account's password (:func:`check_secret_change`); :func:`guarded` compares them too.
- **Admin API door**: the realm's ``realm-management`` client, whose ``admin.api.clients``
  attribute names the clients whose users' tokens the admin API takes, and those clients are
  created, renamed, changed or deleted only by a holder of ``realm-admin``: whoever sets a
  redirect URI or secret of such a client gets any administrator's token from one click.
  :func:`guarded` compares them too (:func:`admin_api_door`).
- **Replace**: a realm-file import rewrites every account, client and setting of the realm,
  passwords and secrets included: it needs manage-realm, manage-users and manage-clients, every
  admin role held in the realm now and every one the file maps, and realm-admin if it changes
  the admin API's door (:func:`check_replacement`). Exporting the file, every password and
  secret hash in it, needs the same but the door (:func:`check_export`).

A superuser holds everything everywhere; ``realm-admin`` implies every admin role of its realm,
``manage-X`` implies ``view-X``.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from accounts import composites
from accounts.administrators import administered_realm_ids
from accounts.models import MASTER_REALM, Group, Role, User

CLIENT_ID = "realm-management"
REALM_ADMIN = "realm-admin"
VIEW_REALM, MANAGE_REALM = "view-realm", "manage-realm"
VIEW_CLIENTS, MANAGE_CLIENTS = "view-clients", "manage-clients"
VIEW_USERS, MANAGE_USERS = "view-users", "manage-users"

_CLIENT_APP = settings.OAUTH2_PROVIDER_APPLICATION_MODEL.split(".")[0]
# A console user's Django permissions, read as the admin roles they amount to in the realms the
# user administers. Nothing amounts to realm-admin: that is a superuser's.
_CONSOLE_ROLES = [
    ("accounts.change_user", MANAGE_USERS),
    ("accounts.view_user", VIEW_USERS),
    (f"{_CLIENT_APP}.change_client", MANAGE_CLIENTS),
    (f"{_CLIENT_APP}.view_client", VIEW_CLIENTS),
    ("accounts.change_realm", MANAGE_REALM),
    ("accounts.view_realm", VIEW_REALM),
]

# ("user", pk) or ("group", pk): whoever a role can be mapped to.
Principal = tuple[str, int]
# (realm pk, role name): an admin role of one realm.
AdminRole = tuple[int, str]


class Refused(Exception):
    """The caller may not make this change; the message says which role it needs."""


@dataclass(frozen=True)
class Authority:
    """The admin roles a caller holds, and the realms it holds them in."""

    roles: frozenset[str] = frozenset()
    realm_ids: frozenset[int] = frozenset()
    superuser: bool = False
    # The caller's own account, which it may always change (console accounts included).
    user_id: int | None = None

    def holds(self, realm_id: int, role: str) -> bool:
        """Whether the caller holds ``role`` of realm ``realm_id``, itself or by implication;
        Keycloak's rule is that only such a caller hands the role out (or takes it away)."""
        if self.superuser:
            return True
        return realm_id in self.realm_ids and bool(self.roles & implied_by(role))


def implied_by(role: str) -> set[str]:
    """The roles that grant ``role``: itself, realm-admin, and manage-X for view-X."""
    found = {role, REALM_ADMIN}
    if role.startswith("view-"):
        found.add("manage-" + role.removeprefix("view-"))
    return found


def of_realm_user(user: User, roles: Iterable[str]) -> Authority:
    """An admin API caller: a user of a realm holding ``roles`` (its effective realm-management
    roles) there; a superuser of the master realm holds everything everywhere."""
    return Authority(
        roles=frozenset(roles),
        realm_ids=frozenset({user.realm_id}),
        superuser=user.is_superuser and user.realm.name == MASTER_REALM,
        user_id=user.pk,
    )


def of_console_user(user: User) -> Authority:
    """A console caller: a superuser holds everything; anyone else, in the realms they
    administer, the admin roles their Django permissions amount to (never realm-admin)."""
    if not user.is_active or not user.is_staff:
        return Authority()
    if user.is_superuser:
        return Authority(superuser=True, user_id=user.pk)
    roles = frozenset(role for permission, role in _CONSOLE_ROLES if user.has_perm(permission))
    return Authority(roles=roles, realm_ids=administered_realm_ids(user), user_id=user.pk)


# --- Grant --------------------------------------------------------------------------------------


def held(realm_ids: Iterable[int]) -> dict[Principal, frozenset[AdminRole]]:
    """Every principal of these realms holding an admin role, with its effective admin roles;
    a group with its own mappings. A handful of queries, whatever the number of users."""
    realm_ids = list(realm_ids)
    admin = {
        pk: (realm_id, name)
        for pk, realm_id, name in Role.objects.filter(
            realm_id__in=realm_ids, client__client_id=CLIENT_ID, client__realm_id=F("realm_id")
        ).values_list("pk", "realm_id", "name")
    }
    # Each role that is an admin role or contains one (composites), with those it amounts to.
    roles: dict[int, set[AdminRole]] = {pk: {role} for pk, role in admin.items()}
    for pk, contained in composites.contained_by(realm_ids).items():
        amounts = {admin[child] for child in contained if child in admin}
        if amounts:
            roles.setdefault(pk, set()).update(amounts)
    found: dict[Principal, set[AdminRole]] = defaultdict(set)
    direct = User.roles.through.objects.filter(
        role_id__in=roles, user__realm_id=F("role__realm_id")
    )
    for user_id, role_id in direct.values_list("user_id", "role_id"):
        found["user", user_id] |= roles[role_id]
    mapped = Group.roles.through.objects.filter(role_id__in=roles)
    for group_id, role_id in mapped.values_list("group_id", "role_id"):
        found["group", group_id] |= roles[role_id]
    inherited = _inherited({key: roles for (kind, key), roles in found.items() if kind == "group"})
    members = User.realm_groups.through.objects.filter(group_id__in=inherited)
    for user_id, group_id in members.values_list("user_id", "group_id"):
        found["user", user_id] |= inherited[group_id]
    return {principal: frozenset(roles) for principal, roles in found.items()}


def _inherited(mapped: dict[int, set[AdminRole]]) -> dict[int, set[AdminRole]]:
    """What the members of each group inherit: the admin roles of the group and of every group
    above it (claims.effective_roles counts the same ancestors)."""
    if not mapped:
        return {}
    realm_ids = {realm_id for roles in mapped.values() for realm_id, _name in roles}
    parents = dict(Group.objects.filter(realm_id__in=realm_ids).values_list("pk", "parent_id"))
    inherited = {}
    for group_id in parents:
        roles, seen, current = set(), set(), group_id
        while current is not None and current not in seen:
            seen.add(current)
            roles |= mapped.get(current, set())
            current = parents.get(current)
        if roles:
            inherited[group_id] = roles
    return inherited


def check_change(
    authority: Authority,
    before: dict[Principal, frozenset[AdminRole]],
    after: dict[Principal, frozenset[AdminRole]],
) -> None:
    """Refused unless the caller holds every admin role that entered or left a principal's
    effective set between ``before`` and ``after`` (both from :func:`held`)."""
    for principal in sorted(before.keys() | after.keys()):
        changed = before.get(principal, frozenset()) ^ after.get(principal, frozenset())
        for realm_id, role in sorted(changed):
            if not authority.holds(realm_id, role):
                raise Refused(f"only a holder of {role} (or realm-admin) may grant or remove it")


@contextmanager
def guarded(authority: Authority, realm_ids: Iterable[int]) -> Iterator[None]:
    """Run a change of these realms, then refuse it (raise Refused) if it moved an admin role
    the caller does not hold, changed the admin API's door without realm-admin, or the
    credentials of a client whose service account the caller may not take over. Use it
    inside the change's transaction, which the refusal rolls back: what is compared is what the
    database really holds, whatever path wrote it."""
    if authority.superuser:
        yield
        return
    realm_ids = frozenset(realm_ids)
    before, door = held(realm_ids), admin_api_door(realm_ids)
    credentials = client_credentials(realm_ids, before)
    yield
    check_change(authority, before, held(realm_ids))
    check_door_change(authority, door, admin_api_door(realm_ids))
    check_credentials_change(authority, credentials)


# --- The admin API's door -----------------------------------------------------------------------

# The realm-management client's attribute naming the clients whose users' tokens the admin API
# takes (client ids, space-separated); without it, Keycloak's admin clients.
ADMIN_CLIENTS_ATTRIBUTE = "admin.api.clients"
DEFAULT_ADMIN_CLIENTS = ("admin-cli", "security-admin-console")
# Bookkeeping columns, written by any save: not a change of what a client is.
_UNCOMPARED = {"created", "updated"}


def admin_clients(attributes) -> tuple[str, ...]:
    """The client ids that the realm-management client's ``attributes`` let call the admin API."""
    if not isinstance(attributes, dict) or ADMIN_CLIENTS_ATTRIBUTE not in attributes:
        return DEFAULT_ADMIN_CLIENTS
    value = attributes[ADMIN_CLIENTS_ATTRIBUTE]
    # Keycloak keeps client attributes as strings; anything else allows no client.
    return tuple(value.split()) if isinstance(value, str) else ()


def admin_api_door(realm_ids: Iterable[int]) -> dict[int, tuple]:
    """Each realm's realm-management client and the clients it lets call the admin API, as
    stored, every column that says what they are: whichever path creates, renames, changes or
    deletes one of them (or names another), the rows differ."""
    client_model = Role._meta.get_field("client").related_model
    management = client_model.objects.filter(realm_id__in=realm_ids, client_id=CLIENT_ID)
    attributes = dict(management.values_list("realm_id", "attributes"))
    names = {
        (client_id, realm_id)
        for realm_id in realm_ids
        for client_id in (CLIENT_ID, *admin_clients(attributes.get(realm_id)))
    }
    candidates = client_model.objects.filter(
        realm_id__in=realm_ids, client_id__in={name for name, _realm in names}
    )
    found: dict[int, list] = defaultdict(list)
    for row in candidates.order_by("pk").values():
        if (row["client_id"], row["realm_id"]) in names:
            found[row["realm_id"]].append(
                tuple(sorted((k, repr(v)) for k, v in row.items() if k not in _UNCOMPARED))
            )
    return {realm_id: tuple(rows) for realm_id, rows in found.items()}


def check_door_change(
    authority: Authority, before: dict[int, tuple], after: dict[int, tuple]
) -> None:
    """Refused unless the caller holds realm-admin in each realm whose door (admin_api_door)
    changed: the tokens of those clients' users are the admin API's, whoever the users are."""
    for realm_id in sorted(before.keys() | after.keys()):
        if before.get(realm_id) != after.get(realm_id):
            _check_door_keeper(authority, realm_id)


def _check_door_keeper(authority: Authority, realm_id: int) -> None:
    if not authority.holds(realm_id, REALM_ADMIN):
        raise Refused(
            f"only a holder of {REALM_ADMIN} may change the {CLIENT_ID} client or a client "
            "whose tokens the admin API takes"
        )


# --- Take over ----------------------------------------------------------------------------------


def admin_roles_of(user: User) -> frozenset[str]:
    """The user's effective admin roles in its realm."""
    return frozenset(name for _realm, name in held([user.realm_id]).get(("user", user.pk), ()))


def may_take_over(authority: Authority, user: User) -> bool:
    """Whether the caller may change, disable, delete or set the password of ``user``: it must
    hold every admin role the user holds. Console accounts are the superusers' (and their own)."""
    if authority.superuser or user.pk == authority.user_id:
        return True
    if user.is_superuser or user.is_staff:
        return False
    if user.realm_id not in authority.realm_ids:
        return False
    return all(authority.holds(user.realm_id, role) for role in admin_roles_of(user))


def check_take_over(authority: Authority, user: User) -> None:
    if not may_take_over(authority, user):
        raise Refused(f"user {user.username} holds roles this caller may not grant")


# Client attributes that are credentials: whoever sets one signs in as the client. Registered
# keys (private_key_jwt, and a self-signed certificate's x5c), how the client authenticates
# (Keycloak's client.authenticator.type), and the names its certificate must have (RFC 8705
# §2.1: a CA's certificate for one's own name then signs in as the client).
CREDENTIAL_ATTRIBUTES = (
    "jwks.string",
    "client.authenticator.type",
    "x509.subjectdn",
    "x509.allow.regex.pattern.comparison",
    "x509.casubjectdn",
    "x509.san.dns",
    "x509.san.uri",
    "x509.san.ip",
    "x509.san.email",
)


def client_credentials(
    realm_ids: Iterable[int], holders: dict[Principal, frozenset[AdminRole]]
) -> dict[int, tuple]:
    """The credentials (secret, registered keys, type) of each client of these realms whose
    service account is among ``holders`` (from :func:`held`), by the client's key."""
    accounts = [key for kind, key in holders if kind == "user"]
    client_model = Role._meta.get_field("client").related_model
    rows = client_model.objects.filter(realm_id__in=realm_ids, service_account_id__in=accounts)
    return {pk: _credentials(*row) for pk, *row in _credential_columns(rows)}


def _credential_columns(clients):
    return clients.values_list(
        "pk", "service_account_id", "client_type", "client_secret", "attributes"
    )


def _credentials(account_id, client_type, secret, attributes) -> tuple:
    attributes = attributes if isinstance(attributes, dict) else {}
    return (account_id, client_type, secret, *(attributes.get(k) for k in CREDENTIAL_ATTRIBUTES))


def check_credentials_change(authority: Authority, before: dict[int, tuple]) -> None:
    """Refused unless the caller may take over the service account of each client whose
    credentials changed (or which is gone) since ``before`` (:func:`client_credentials`)."""
    client_model = Role._meta.get_field("client").related_model
    after = {
        pk: _credentials(*row)
        for pk, *row in _credential_columns(client_model.objects.filter(pk__in=before))
    }
    for pk in sorted(before):
        if after.get(pk) != before[pk]:
            account = User.objects.filter(pk=before[pk][0]).first()
            if account is not None and not may_take_over(authority, account):
                raise Refused("this client's service account holds roles the caller may not grant")


def check_secret_change(authority: Authority, client) -> None:
    """Refused unless the caller may take over the client's service account: whoever knows
    the secret gets its tokens."""
    account = client.service_account
    if account is not None and not may_take_over(authority, account):
        raise Refused(
            f"the service account of {client.client_id} holds roles this caller may not grant"
        )


# --- Replace ------------------------------------------------------------------------------------


# What a realm file rewrites: the realm's settings and roles, its users, its clients.
_REPLACING = {MANAGE_REALM, MANAGE_USERS, MANAGE_CLIENTS}


def check_replacement(
    authority: Authority, realm_id: int, granted: Iterable[str], *, changes_door: bool
) -> None:
    """Refused unless the caller may replace realm ``realm_id`` by a file mapping the admin
    roles ``granted``: it must hold what the file rewrites, each admin role it maps and each
    one held in the realm now; and realm-admin if the file ``changes_door`` (admin_api_door)."""
    if authority.superuser:
        return
    _check_realm_file(authority, realm_id, granted, verb="import")
    if changes_door:
        _check_door_keeper(authority, realm_id)


def check_export(authority: Authority, realm_id: int) -> None:
    """Refused unless the caller may export realm ``realm_id`` as a file, which carries every
    user and client with their password and secret hashes: what replacing it needs, since a
    cracked hash is an account taken over."""
    if not authority.superuser:
        _check_realm_file(authority, realm_id, (), verb="export")


def _check_realm_file(authority: Authority, realm_id: int, granted: Iterable[str], *, verb):
    now = {name for roles in held([realm_id]).values() for _realm, name in roles}
    for role in sorted(_REPLACING | now | set(granted)):
        if not authority.holds(realm_id, role):
            raise Refused(f"only a holder of {role} (or realm-admin) may {verb} this realm file")
