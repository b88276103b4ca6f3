"""The admin API's route table: every path, its methods, the role each needs, the schemas of its
body and answer. urls.py serves it and openapi.py describes it, so the two cannot drift apart.

A path is relative to /admin/; Django's converters name the parameters (``<str:realm>``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from authserver.adminapi import (
    client_policies,
    client_scopes,
    clients,
    groups,
    memberships,
    realms,
    registration,
    role_composites,
    role_mappings,
    roles,
    users,
)
from authserver.adminapi.realm_management import (
    MANAGE_CLIENTS,
    MANAGE_REALM,
    MANAGE_USERS,
    VIEW_CLIENTS,
    VIEW_REALM,
    VIEW_USERS,
)


@dataclass(frozen=True)
class Operation:
    handler: Callable
    summary: str
    # The realm-management role needed (None: any caller; the handler filters).
    role: str | None
    # Component schema names; "X[]" is a list of X. None: no body / no content.
    request: str | None = None
    response: str | None = None
    status: int = 200
    # Keycloak's realm creation and deletion: a superuser of the master realm's alone.
    master_only: bool = False


@dataclass(frozen=True)
class Route:
    path: str
    name: str
    operations: dict[str, Operation] = field(default_factory=dict)


def _crud(
    *,
    plural: str,
    one: str,
    module,
    schema: str,
    view: str,
    manage: str,
    handlers: dict[str, str],
    base: str,
    key: str,
    name: str,
) -> list[Route]:
    """The list-and-create route and the one-object route of a resource."""
    return [
        Route(
            base,
            f"admin-{name}",
            {
                "GET": Operation(
                    getattr(module, handlers["list"]), f"List {plural}", view, None, f"{schema}[]"
                ),
                "POST": Operation(
                    getattr(module, handlers["create"]),
                    f"Create {one} (201 with Location)",
                    manage,
                    schema,
                    schema,
                    201,
                ),
            },
        ),
        Route(
            f"{base}/<str:{key}>",
            f"admin-{name}-one",
            {
                "GET": Operation(
                    getattr(module, handlers["get"]), f"Get {one}", view, None, schema
                ),
                "PUT": Operation(
                    getattr(module, handlers["update"]),
                    f"Update {one} (fields left out keep their values)",
                    manage,
                    schema,
                    None,
                    204,
                ),
                "DELETE": Operation(
                    getattr(module, handlers["delete"]), f"Delete {one}", manage, None, None, 204
                ),
            },
        ),
    ]


def _handlers(prefix: str) -> dict[str, str]:
    return {
        "list": f"list_{prefix}s",
        "create": f"create_{prefix}",
        "get": f"get_{prefix}",
        "update": f"update_{prefix}",
        "delete": f"delete_{prefix}",
    }


REALM = "realms/<str:realm>"


def _bound(handler: Callable, kind: str, key: str) -> Callable:
    """``handler(context, kind, <the key parameter>, ...)`` as a route's handler."""

    def bound(context, **kwargs):
        return handler(context, kind, kwargs.pop(key), **kwargs)

    bound.__name__ = handler.__name__
    return bound


def _composites(base: str, name: str, view: str, manage: str) -> list[Route]:
    """Keycloak's composite-role sub-resources of one role (role_composites.py)."""
    path = f"{base}/<str:name>/composites"
    return [
        Route(
            path,
            f"admin-{name}-composites",
            {
                "GET": Operation(
                    role_composites.listed, "The roles this role contains", view, None, "Role[]"
                ),
                "POST": Operation(
                    role_composites.add,
                    "Make this role contain these roles too",
                    manage,
                    "Role[]",
                    None,
                    204,
                ),
                "DELETE": Operation(
                    role_composites.remove,
                    "Make this role no longer contain these roles",
                    manage,
                    "Role[]",
                    None,
                    204,
                ),
            },
        ),
        Route(
            f"{path}/realm",
            f"admin-{name}-composites-realm",
            {
                "GET": Operation(
                    role_composites.realm_part,
                    "The realm roles this role contains",
                    view,
                    None,
                    "Role[]",
                )
            },
        ),
        Route(
            f"{path}/clients/<str:of_client>",
            f"admin-{name}-composites-client",
            {
                "GET": Operation(
                    role_composites.client_part,
                    "The roles of that client this role contains",
                    view,
                    None,
                    "Role[]",
                )
            },
        ),
    ]


def _role_mappings(kind: str, key: str) -> list[Route]:
    """Keycloak's role-mapping sub-resources of a user or a group (role_mappings.py)."""
    base = f"{REALM}/{kind}/<str:{key}>/role-mappings"
    one = kind.removesuffix("s")
    view, manage = VIEW_USERS, MANAGE_USERS
    routes = [
        Route(
            base,
            f"admin-{one}-role-mappings",
            {
                "GET": Operation(
                    _bound(role_mappings.all_mappings, kind, key),
                    f"The {one}'s direct role mappings, realm and client",
                    view,
                    None,
                    "RoleMappings",
                )
            },
        )
    ]
    for where, suffix, label in (
        ("realm", "realm", "realm roles"),
        ("clients/<str:client_id>", "client", "roles of the client"),
    ):
        routes += [
            Route(
                f"{base}/{where}",
                f"admin-{one}-role-mappings-{suffix}",
                {
                    "GET": Operation(
                        _bound(role_mappings.listed, kind, key),
                        f"The {label} mapped to the {one} directly",
                        view,
                        None,
                        "Role[]",
                    ),
                    "POST": Operation(
                        _bound(role_mappings.add, kind, key),
                        f"Map these {label} to the {one}",
                        manage,
                        "Role[]",
                        None,
                        204,
                    ),
                    "DELETE": Operation(
                        _bound(role_mappings.remove, kind, key),
                        f"Remove these {label} from the {one}'s mappings",
                        manage,
                        "Role[]",
                        None,
                        204,
                    ),
                },
            ),
            Route(
                f"{base}/{where}/available",
                f"admin-{one}-role-mappings-{suffix}-available",
                {
                    "GET": Operation(
                        _bound(role_mappings.available, kind, key),
                        f"The {label} the {one} does not hold, directly or otherwise",
                        view,
                        None,
                        "Role[]",
                    )
                },
            ),
            Route(
                f"{base}/{where}/composite",
                f"admin-{one}-role-mappings-{suffix}-composite",
                {
                    "GET": Operation(
                        _bound(role_mappings.composite, kind, key),
                        f"The {label} the {one} holds, directly or through groups",
                        view,
                        None,
                        "Role[]",
                    )
                },
            ),
        ]
    return routes


ROUTES: list[Route] = [
    Route(
        "realms",
        "admin-realms",
        {
            "GET": Operation(
                realms.list_realms, "List the realms the caller administers", None, None, "Realm[]"
            ),
            "POST": Operation(
                realms.create_realm,
                "Create a realm from a realm file (a superuser of the master realm only)",
                None,
                "RealmFile",
                "Realm",
                201,
                master_only=True,
            ),
        },
    ),
    Route(
        REALM,
        "admin-realm",
        {
            "GET": Operation(
                realms.get_realm, "Get the realm's settings", VIEW_REALM, None, "Realm"
            ),
            "PUT": Operation(
                realms.update_realm,
                "Update the realm's settings (fields left out keep their values)",
                MANAGE_REALM,
                "Realm",
                None,
                204,
            ),
            "DELETE": Operation(
                realms.delete_realm,
                "Delete the realm and all it holds (a superuser of the master realm only)",
                MANAGE_REALM,
                None,
                None,
                204,
                master_only=True,
            ),
        },
    ),
    *_crud(
        plural="clients",
        one="a client",
        module=clients,
        schema="Client",
        view=VIEW_CLIENTS,
        manage=MANAGE_CLIENTS,
        handlers=_handlers("client"),
        base=f"{REALM}/clients",
        key="client_id",
        name="clients",
    ),
    Route(
        f"{REALM}/clients/<str:client_id>/client-secret",
        "admin-client-secret",
        {
            "GET": Operation(
                clients.secret_info,
                "Keycloak's secret representation, without the value: secrets are stored hashed",
                VIEW_CLIENTS,
                None,
                "SecretInfo",
            ),
            "POST": Operation(
                clients.regenerate_secret,
                "Replace the client's secret; the new one is in this answer only",
                MANAGE_CLIENTS,
                None,
                "Secret",
            ),
        },
    ),
    Route(
        f"{REALM}/clients-initial-access",
        "admin-clients-initial-access",
        {
            "GET": Operation(
                registration.list_initial,
                "The realm's initial access tokens (without the tokens)",
                MANAGE_CLIENTS,
                None,
                "InitialAccess[]",
            ),
            "POST": Operation(
                registration.create_initial,
                "A new initial access token for dynamic registration; the token is in this "
                "answer only",
                MANAGE_CLIENTS,
                "InitialAccessCreate",
                "InitialAccess",
            ),
        },
    ),
    Route(
        f"{REALM}/clients-initial-access/<str:token_id>",
        "admin-clients-initial-access-one",
        {
            "DELETE": Operation(
                registration.delete_initial,
                "Delete an initial access token",
                MANAGE_CLIENTS,
                None,
                None,
                204,
            )
        },
    ),
    Route(
        f"{REALM}/client-policies/policies",
        "admin-client-policies",
        {
            "GET": Operation(
                client_policies.get_policies,
                "The realm's client policies (which clients get which profiles)",
                VIEW_REALM,
                None,
                "ClientPolicies",
            ),
            "PUT": Operation(
                client_policies.update_policies,
                "Replace the realm's client policies",
                MANAGE_REALM,
                "ClientPolicies",
                None,
                204,
            ),
        },
    ),
    Route(
        f"{REALM}/client-policies/profiles",
        "admin-client-profiles",
        {
            "GET": Operation(
                client_policies.get_profiles,
                "The realm's own client profiles (with include-global-profiles=true, the "
                "built-in ones too)",
                VIEW_REALM,
                None,
                "ClientProfiles",
            ),
            "PUT": Operation(
                client_policies.update_profiles,
                "Replace the realm's own client profiles",
                MANAGE_REALM,
                "ClientProfiles",
                None,
                204,
            ),
        },
    ),
    Route(
        f"{REALM}/client-registration-policy",
        "admin-client-registration-policy",
        {
            "GET": Operation(
                registration.get_policy,
                "The realm's dynamic registration policy",
                VIEW_CLIENTS,
                None,
                "RegistrationPolicy",
            ),
            "PUT": Operation(
                registration.update_policy,
                "Change the realm's dynamic registration policy",
                MANAGE_CLIENTS,
                "RegistrationPolicy",
                None,
                204,
            ),
        },
    ),
    Route(
        f"{REALM}/clients/<str:client_id>/service-account-user",
        "admin-client-service-account-user",
        {
            "GET": Operation(
                clients.service_account_user,
                "The client's service-account user",
                VIEW_CLIENTS,
                None,
                "User",
            )
        },
    ),
    *_crud(
        plural="client roles",
        one="a client role",
        module=roles,
        schema="Role",
        view=VIEW_CLIENTS,
        manage=MANAGE_CLIENTS,
        handlers=_handlers("role"),
        base=f"{REALM}/clients/<str:client_id>/roles",
        key="name",
        name="client-roles",
    ),
    *_composites(
        f"{REALM}/clients/<str:client_id>/roles", "client-role", VIEW_CLIENTS, MANAGE_CLIENTS
    ),
    *_crud(
        plural="realm roles",
        one="a realm role",
        module=roles,
        schema="Role",
        view=VIEW_REALM,
        manage=MANAGE_REALM,
        handlers=_handlers("role"),
        base=f"{REALM}/roles",
        key="name",
        name="roles",
    ),
    *_composites(f"{REALM}/roles", "role", VIEW_REALM, MANAGE_REALM),
    Route(
        f"{REALM}/users/count",
        "admin-users-count",
        {
            "GET": Operation(
                users.count_users,
                "The number of users the list would find",
                VIEW_USERS,
                None,
                "Count",
            )
        },
    ),
    *_crud(
        plural="users",
        one="a user",
        module=users,
        schema="User",
        view=VIEW_USERS,
        manage=MANAGE_USERS,
        handlers=_handlers("user"),
        base=f"{REALM}/users",
        key="user_id",
        name="users",
    ),
    Route(
        f"{REALM}/users/<str:user_id>/reset-password",
        "admin-user-reset-password",
        {
            "PUT": Operation(
                users.reset_password,
                "Set the user's password (the realm's password policy applies)",
                MANAGE_USERS,
                "Credential",
                None,
                204,
            )
        },
    ),
    Route(
        f"{REALM}/users/<str:user_id>/execute-actions-email",
        "admin-user-execute-actions-email",
        {
            "PUT": Operation(
                users.execute_actions_email,
                "Set required actions and mail the user a link to do them",
                MANAGE_USERS,
                "RequiredActions",
                None,
                204,
            )
        },
    ),
    *_role_mappings("users", "user_id"),
    Route(
        f"{REALM}/users/<str:user_id>/groups",
        "admin-user-groups",
        {
            "GET": Operation(
                memberships.groups_of,
                "The groups the user is a member of",
                VIEW_USERS,
                None,
                "Group[]",
            )
        },
    ),
    Route(
        f"{REALM}/users/<str:user_id>/groups/<str:group_id>",
        "admin-user-group",
        {
            "PUT": Operation(
                memberships.join,
                "Make the user a member of the group",
                MANAGE_USERS,
                None,
                None,
                204,
            ),
            "DELETE": Operation(
                memberships.leave,
                "Take the user out of the group",
                MANAGE_USERS,
                None,
                None,
                204,
            ),
        },
    ),
    Route(
        f"{REALM}/groups/count",
        "admin-groups-count",
        {
            "GET": Operation(
                memberships.count_groups, "The number of groups", VIEW_USERS, None, "GroupCount"
            )
        },
    ),
    *_crud(
        plural="top-level groups, with their subgroups",
        one="a group",
        module=groups,
        schema="Group",
        view=VIEW_USERS,
        manage=MANAGE_USERS,
        handlers=_handlers("group"),
        base=f"{REALM}/groups",
        key="group_id",
        name="groups",
    ),
    Route(
        f"{REALM}/groups/<str:group_id>/children",
        "admin-group-children",
        {
            "POST": Operation(
                groups.create_child,
                "Create a subgroup (201 with Location)",
                MANAGE_USERS,
                "Group",
                "Group",
                201,
            )
        },
    ),
    *_role_mappings("groups", "group_id"),
    Route(
        f"{REALM}/groups/<str:group_id>/members",
        "admin-group-members",
        {
            "GET": Operation(
                memberships.members,
                "The group's members (not its subgroups')",
                VIEW_USERS,
                None,
                "User[]",
            )
        },
    ),
    *_crud(
        plural="client scopes",
        one="a client scope",
        module=client_scopes,
        schema="ClientScope",
        view=VIEW_CLIENTS,
        manage=MANAGE_CLIENTS,
        handlers=_handlers("client_scope"),
        base=f"{REALM}/client-scopes",
        key="name",
        name="client-scopes",
    ),
]
