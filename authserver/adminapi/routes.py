"""The admin API's route table: every path, its methods, the role each needs, the schemas of its
body and answer. urls.py serves it and openapi.py describes it, so the two cannot drift apart.

A path is relative to /admin/; Django's converters name the parameters (``<str:realm>``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from authserver.adminapi import client_scopes, clients, groups, realms, roles, users
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

ROUTES: list[Route] = [
    Route(
        "realms",
        "admin-realms",
        {
            "GET": Operation(
                realms.list_realms, "List the realms the caller administers", None, None, "Realm[]"
            )
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
            "POST": Operation(
                clients.regenerate_secret,
                "Replace the client's secret; the new one is in this answer only",
                MANAGE_CLIENTS,
                None,
                "Secret",
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
