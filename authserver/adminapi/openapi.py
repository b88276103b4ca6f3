"""The admin API's OpenAPI 3.1 description, served at /admin/openapi.json.

Paths and methods come from the route table (routes.py); the representations' schemas are
written here, in the realm file's field names. Bodies may carry fields outside these schemas:
they are ignored, as in a realm file.
"""

import re
from functools import cache

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from accounts import required_actions, webauthn_policy
from authserver.adminapi.realm_management import CLIENT_ID
from authserver.adminapi.routes import ROUTES

_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
_NAMES = {"type": "array", "items": {"type": "string"}}
_REQUIRED_ACTION = {"enum": list(required_actions.ALL)}
_BY_CLIENT = {"type": "object", "additionalProperties": _NAMES}
_ID = {"type": "string", "readOnly": True}


def _webauthn_policy(prefix: str) -> dict:
    """Keycloak's webAuthnPolicy* (or webAuthnPolicyPasswordless*) fields."""
    found = {}
    for key, kind, _default, choices in webauthn_policy.settings_of(prefix):
        if kind is list:
            items = {"enum": list(choices)} if choices else {"type": "string"}
            schema = {"type": "array", "items": items}
        elif choices:
            schema = {"enum": list(choices)}
        else:
            schema = {"type": {str: "string", int: "integer", bool: "boolean"}[kind]}
        found[webauthn_policy.field_name(prefix, key)] = schema
    return found


SCHEMAS = {
    "Realm": {
        "type": "object",
        "properties": {
            "id": _ID,
            "realm": {"type": "string"},
            "enabled": {"type": "boolean"},
            "displayName": {"type": "string"},
            "accessTokenLifespan": {"type": "integer", "minimum": 0},
            "ssoSessionIdleTimeout": {"type": "integer", "minimum": 0},
            "ssoSessionMaxLifespan": {"type": "integer", "minimum": 0},
            "revokeRefreshToken": {"type": "boolean"},
            "bruteForceProtected": {"type": "boolean"},
            "failureFactor": {"type": "integer", "minimum": 0},
            "passwordPolicy": {"type": "string"},
            "defaultSignatureAlgorithm": {"enum": ["RS256", "ES256", "PS256"]},
            "otpPolicyType": {"enum": ["totp", "hotp"]},
            "otpPolicyAlgorithm": {"enum": ["HmacSHA1", "HmacSHA256", "HmacSHA512"]},
            "otpPolicyDigits": {"enum": [6, 8]},
            "otpPolicyPeriod": {"type": "integer", "minimum": 1, "maximum": 600},
            "otpPolicyLookAheadWindow": {"type": "integer", "minimum": 0, "maximum": 20},
            "otpPolicyInitialCounter": {"type": "integer", "minimum": 0},
            "otpRequired": {"type": "boolean"},
            "registrationAllowed": {"type": "boolean"},
            "registrationEmailAsUsername": {"type": "boolean"},
            "loginWithEmailAllowed": {
                "type": "boolean",
                "description": "the e-mail address names a user at the login (default true)",
            },
            "duplicateEmailsAllowed": {
                "type": "boolean",
                "description": "users may share an e-mail address (then none signs in with it)",
            },
            "resetPasswordAllowed": {"type": "boolean"},
            "verifyEmail": {"type": "boolean"},
            **_webauthn_policy(webauthn_policy.SECOND_FACTOR),
            **_webauthn_policy(webauthn_policy.PASSWORDLESS),
            "smtpServer": {
                "type": "object",
                "description": "Keycloak's smtpServer; the password shows as **********",
                "additionalProperties": {"type": "string"},
            },
            "clientPolicies": {"$ref": "#/components/schemas/ClientPolicies"},
            "clientProfiles": {"$ref": "#/components/schemas/ClientProfiles"},
        },
    },
    "Client": {
        "type": "object",
        "required": ["clientId"],
        "properties": {
            "id": {**_ID, "description": "the clientId"},
            "clientId": {"type": "string"},
            "name": {"type": "string"},
            "enabled": {"type": "boolean"},
            "publicClient": {"type": "boolean"},
            "secret": {
                "type": "string",
                "description": (
                    "given or generated at creation; returned by the creation only; one given "
                    "must be random and of 128 bits at least (32 random characters do)"
                ),
            },
            "redirectUris": _NAMES,
            "webOrigins": _NAMES,
            "standardFlowEnabled": {"type": "boolean"},
            "serviceAccountsEnabled": {"type": "boolean"},
            "directAccessGrantsEnabled": {
                "type": "boolean",
                "description": "the password grant (RFC 9700 §2.4: off unless needed)",
            },
            "consentRequired": {"type": "boolean"},
            "frontchannelLogout": {
                "type": "boolean",
                "description": (
                    "OpenID Connect Front-Channel Logout: the end-session page frames the "
                    "attribute frontchannel.logout.url (with iss and sid unless "
                    "frontchannel.logout.session.required is false); back-channel logout is the "
                    "attribute backchannel.logout.url (backchannel.logout.session.required)"
                ),
            },
            "defaultClientScopes": _NAMES,
            "optionalClientScopes": _NAMES,
            "attributes": {"type": "object"},
        },
    },
    "Role": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "id": {**_ID, "description": "the name"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "composite": {
                "type": "boolean",
                "readOnly": True,
                "description": "whether it contains other roles (.../composites)",
            },
            "clientRole": {"type": "boolean", "readOnly": True},
            "containerId": {
                "type": "string",
                "readOnly": True,
                "description": "the realm's name, or the clientId of a client role",
            },
        },
    },
    "Group": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "id": {**_ID, "description": "an opaque key"},
            "name": {"type": "string"},
            "path": {"type": "string", "readOnly": True},
            "realmRoles": _NAMES,
            "clientRoles": _BY_CLIENT,
            "subGroups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
        },
    },
    "ClientScope": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "id": {**_ID, "description": "the name"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "protocol": {"type": "string"},
            "protocolMappers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "protocolMapper"],
                    "properties": {
                        "name": {"type": "string"},
                        "protocol": {"type": "string"},
                        "protocolMapper": {"type": "string"},
                        "config": {"type": "object"},
                    },
                },
            },
        },
    },
    "User": {
        "type": "object",
        "required": ["username"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "the token subject"},
            "username": {"type": "string"},
            "enabled": {"type": "boolean"},
            "email": {"type": "string"},
            "emailVerified": {"type": "boolean"},
            "firstName": {"type": "string"},
            "lastName": {"type": "string"},
            "realmRoles": _NAMES,
            "clientRoles": _BY_CLIENT,
            "groups": {**_NAMES, "description": 'group paths, "/parent/child"'},
            "credentials": {
                "type": "array",
                "maxItems": 1,
                "writeOnly": True,
                "items": {"$ref": "#/components/schemas/Credential"},
            },
            "serviceAccountClientId": {"type": "string", "readOnly": True},
            "createdTimestamp": {"type": "integer", "readOnly": True},
            "totp": {"type": "boolean", "readOnly": True},
            "requiredActions": {"type": "array", "items": _REQUIRED_ACTION},
        },
    },
    "RequiredActions": {"type": "array", "items": _REQUIRED_ACTION},
    "Credential": {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"const": "password"},
            "value": {"type": "string", "writeOnly": True},
            "hashedValue": {"type": "string", "writeOnly": True},
            "temporary": {"type": "boolean"},
        },
    },
    "RoleMappings": {
        "type": "object",
        "properties": {
            "realmMappings": {"type": "array", "items": {"$ref": "#/components/schemas/Role"}},
            "clientMappings": {
                "type": "object",
                "description": "by clientId",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "client": {"type": "string"},
                        "mappings": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Role"},
                        },
                    },
                },
            },
        },
    },
    "RealmFile": {
        "type": "object",
        "required": ["realm"],
        "description": "a realm file: the Realm's fields, and clients, roles, groups, users",
        "properties": {"realm": {"type": "string"}, "enabled": {"type": "boolean"}},
    },
    "SecretInfo": {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"const": "secret"},
            "value": {"type": "null", "description": "never given: stored hashed"},
            "retrievable": {"const": False},
            "description": {"type": "string"},
        },
    },
    "Count": {"type": "integer", "minimum": 0},
    "GroupCount": {
        "type": "object",
        "required": ["count"],
        "properties": {"count": {"type": "integer", "minimum": 0}},
    },
    "InitialAccessCreate": {
        "type": "object",
        "properties": {
            "expiration": {"type": "integer", "description": "seconds; 0: no end"},
            "count": {"type": "integer", "minimum": 1},
        },
    },
    "InitialAccess": {
        "type": "object",
        "required": ["id", "timestamp", "expiration", "count", "remainingCount"],
        "properties": {
            "id": {"type": "string"},
            "token": {"type": "string", "description": "in the creation's answer only"},
            "timestamp": {"type": "integer"},
            "expiration": {"type": "integer"},
            "count": {"type": "integer"},
            "remainingCount": {"type": "integer"},
        },
    },
    "ClientPolicies": {
        "type": "object",
        "properties": {
            "policies": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "enabled": {"type": "boolean"},
                        "conditions": {"type": "array", "items": {"type": "object"}},
                        "profiles": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    },
    "ClientProfiles": {
        "type": "object",
        "properties": {
            "profiles": {"type": "array", "items": {"type": "object"}},
            "globalProfiles": {"type": "array", "items": {"type": "object"}},
        },
    },
    "RegistrationPolicy": {
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean"},
            "trustedHosts": {"type": "array", "items": {"type": "string"}},
            "allowedClientScopes": {"type": "array", "items": {"type": "string"}},
            "maxClients": {"type": "integer", "minimum": 0},
        },
    },
    "Secret": {
        "type": "object",
        "required": ["type", "value"],
        "properties": {"type": {"const": "secret"}, "value": {"type": "string"}},
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "error_description": {"type": "string"},
            "fields": {
                "type": "object",
                "description": 'a message per bad field, by JSON path: "redirectUris[0]"',
                "additionalProperties": {"type": "string"},
            },
        },
    },
}

_ERRORS = {
    "400": "Invalid body or query: `fields` names each bad field",
    "401": (
        "No bearer access token, not a valid one, or one not meant for the admin API "
        "(WWW-Authenticate: Bearer)"
    ),
    "403": f"The caller lacks the {CLIENT_ID} role this needs",
    "404": "No such realm or object, or not one the caller may see",
}
_CHANGE_ERRORS = {
    "409": "The name is already taken",
    "413": "The body is too large",
    "415": "The body is not application/json",
}


# Keycloak's list parameters, read by every list (api.page); search and briefRepresentation
# where the list has them, ignored elsewhere.
_LIST_PARAMETERS = [
    {
        "name": "first",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        "description": "the offset of the page (default 0)",
    },
    {
        "name": "max",
        "in": "query",
        "schema": {"type": "integer", "minimum": -1, "maximum": 2**31 - 1},
        "description": "the page's size: users, clients, groups 100 by default, at most 1000; "
        "roles and role mappings all by default; -1 is the default",
    },
    {"name": "search", "in": "query", "schema": {"type": "string"}},
    {"name": "briefRepresentation", "in": "query", "schema": {"type": "boolean"}},
]


def openapi_path(route_path: str) -> str:
    """``realms/<str:realm>/users`` as OpenAPI writes it: ``/admin/realms/{realm}/users``."""
    return "/admin/" + _PARAMETER.sub(r"{\1}", route_path)


def _schema(name: str) -> dict:
    if name.endswith("[]"):
        return {"type": "array", "items": _schema(name[:-2])}
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str) -> dict:
    return {"content": {"application/json": {"schema": _schema(name)}}}


def _operation(method: str, operation) -> dict:
    answer = {"description": {200: "OK", 201: "Created", 204: "No content"}[operation.status]}
    if operation.response:
        answer |= _json(operation.response)
    if operation.status == 201:
        answer["headers"] = {
            "Location": {"description": "the new object's URL", "schema": {"type": "string"}}
        }
    errors = _ERRORS | (_CHANGE_ERRORS if method != "GET" else {})
    described = {
        "summary": operation.summary,
        "responses": {
            str(operation.status): answer,
            **{code: {"description": text} | _json("Error") for code, text in errors.items()},
        },
    }
    if operation.master_only:
        described["description"] = "Needs a superuser of the master realm."
    elif operation.role:
        described["description"] = f"Needs the {CLIENT_ID} role {operation.role} (or realm-admin)."
    if operation.request:
        described["requestBody"] = {"required": True} | _json(operation.request)
    if method == "GET" and (operation.response or "").endswith("[]"):
        described["parameters"] = _LIST_PARAMETERS
    return described


@cache
def document() -> dict:
    paths = {}
    for route in ROUTES:
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAMETER.findall(route.path)
        ]
        item = {method.lower(): _operation(method, op) for method, op in route.operations.items()}
        if parameters:
            item["parameters"] = parameters
        paths[openapi_path(route.path)] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "authserver admin REST API",
            "version": "1",
            "description": (
                "Keycloak's admin API shape for realms, clients, roles, users, groups and "
                "client scopes, with the realm file's field names."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "An access token of the realm managed, or of master for a superuser, "
                        f"meant for the admin API: {CLIENT_ID} in its aud, issued to a client "
                        "the realm allows (its admin.api.clients, by default admin-cli and "
                        "security-admin-console) or a service account's own token"
                    ),
                }
            },
        },
    }


@require_GET
def serve(request):
    return JsonResponse(document())
