"""A realm as a Keycloak realm representation that importer.py takes back unchanged.

Output is stable: keys in a fixed order (free-form objects such as attributes and mapper config
sorted), lists sorted by name in Python (never by the database's collation). Secrets and
passwords leave only as the hashes that are stored, never in clear.
"""

import json

from accounts import required_actions, webauthn_policy
from accounts.models import ClientScope, Group, Realm, Role, User
from accounts.realms import for_realm
from authserver.models import (
    AUTHENTICATOR_ATTRIBUTE,
    BEARER_ONLY_ATTRIBUTE,
    DIRECT_ACCESS_ATTRIBUTE,
    FRONTCHANNEL_LOGOUT_ATTRIBUTE,
    Client,
)
from authserver.realmfile import credentials, otp_credentials, webauthn_credentials
from authserver.realmfile.schema import PKCE_ATTRIBUTE, POST_LOGOUT_ATTRIBUTE

_MASKED = "**********"


def dumps(document: dict) -> str:
    """The JSON text of an exported realm, as the export command prints it."""
    return json.dumps(document, indent=2)


def export_realm(realm: Realm) -> dict:
    roles = list(
        for_realm(Role, realm).select_related("client").prefetch_related("composites__client")
    )
    groups = realm_groups(realm)
    paths = group_paths(groups)
    default_role = {"defaultRole": {"name": realm.default_role.name}} if realm.default_role else {}
    return export_realm_settings(realm) | {
        "roles": _roles(roles),
        **default_role,
        "groups": _groups(groups, parent_id=None),
        "clientScopes": _client_scopes(realm),
        "clients": _clients(realm),
        "users": _users(realm, paths),
    }


# --- One object at a time, as in a realm file (the admin API's representations) ----------------


def export_realm_settings(realm: Realm) -> dict:
    """The realm's own settings, without what it owns."""
    return {
        "realm": realm.name,
        "enabled": realm.enabled,
        "displayName": realm.display_name,
        "accessTokenLifespan": realm.access_token_lifespan,
        "ssoSessionIdleTimeout": realm.sso_session_idle_timeout,
        "ssoSessionMaxLifespan": realm.sso_session_max_lifespan,
        "revokeRefreshToken": realm.revoke_refresh_token,
        "bruteForceProtected": realm.brute_force_protected,
        "failureFactor": realm.failure_factor,
        "passwordPolicy": realm.password_policy,
        "defaultSignatureAlgorithm": realm.default_signature_algorithm,
        "otpPolicyType": realm.otp_policy_type,
        "otpPolicyAlgorithm": realm.otp_policy_algorithm,
        "otpPolicyDigits": realm.otp_policy_digits,
        "otpPolicyPeriod": realm.otp_policy_period,
        "otpPolicyLookAheadWindow": realm.otp_policy_look_ahead_window,
        "otpPolicyInitialCounter": realm.otp_policy_initial_counter,
        "otpRequired": realm.otp_required,
        **_webauthn_policy(webauthn_policy.SECOND_FACTOR, realm.webauthn_policy),
        **_webauthn_policy(webauthn_policy.PASSWORDLESS, realm.webauthn_policy_passwordless),
        "registrationAllowed": realm.registration_allowed,
        "registrationEmailAsUsername": realm.registration_email_as_username,
        "loginWithEmailAllowed": realm.login_with_email_allowed,
        "duplicateEmailsAllowed": realm.duplicate_emails_allowed,
        "resetPasswordAllowed": realm.reset_password_allowed,
        "verifyEmail": realm.verify_email,
        # The password never leaves: Keycloak's mask says there is one.
        "smtpServer": realm.smtp_server
        | ({"password": _MASKED} if realm.smtp_password_sealed else {}),
        "clientPolicies": realm.client_policies or {"policies": []},
        "clientProfiles": realm.client_profiles or {"profiles": []},
    }


def _webauthn_policy(prefix: str, stored: dict) -> dict:
    """A WebAuthn policy as Keycloak's fields, every one of them (defaults for those unset)."""
    policy, _notes = webauthn_policy.checked(prefix, stored or {})
    return {webauthn_policy.field_name(prefix, key): value for key, value in policy.items()}


def export_client(client: Client) -> dict:
    """One client; a confidential one with its ``hashedSecret``."""
    return _client(client)


def export_client_scope(scope: ClientScope) -> dict:
    return _client_scope(scope)


def export_groups(groups: list[Group], *, parent_id: int | None = None) -> list[dict]:
    """The groups under ``parent_id`` (None: the top level) of ``groups`` (``realm_groups``),
    each with its role mappings and its subgroups, however deep."""
    return _groups(groups, parent_id=parent_id)


def realm_groups(realm: Realm) -> list[Group]:
    """All the realm's groups with their role mappings, in three queries."""
    return list(for_realm(Group, realm).prefetch_related("roles__client"))


def export_user(
    user: User, paths: dict[int, str] | None = None, *, with_credentials: bool = True
) -> dict:
    """One user; credentials as stored hashes (``hashedValue``) and OTP secrets as Keycloak
    exports them, or without ``with_credentials`` none at all. ``paths`` (the realm's group paths,
    ``realm_group_paths``) spares a query when exporting many users of one realm."""
    return _user(
        user,
        realm_group_paths(user.realm) if paths is None else paths,
        with_credentials=with_credentials,
    )


def realm_group_paths(realm) -> dict[int, str]:
    return group_paths(list(for_realm(Group, realm)))


def _sorted_dict(value: dict) -> dict:
    return {key: value[key] for key in sorted(value)}


def _role_mappings(roles) -> tuple[list[str], dict[str, list[str]]]:
    """(realmRoles, clientRoles) of a user or group."""
    realm_roles, client_roles = [], {}
    for role in roles:
        if role.client_id is None:
            realm_roles.append(role.name)
        else:
            client_roles.setdefault(role.client.client_id, []).append(role.name)
    return sorted(realm_roles), {key: sorted(names) for key, names in sorted(client_roles.items())}


def _roles(roles: list[Role]) -> dict:
    realm_roles, client_roles = [], {}
    for role in sorted(roles, key=lambda role: role.name):
        entry = {"name": role.name, "description": role.description}
        contained = list(role.composites.all())
        if contained:
            realm_roles_in, client_roles_in = _role_mappings(contained)
            entry["composite"] = True
            entry["composites"] = {
                key: value
                for key, value in (("realm", realm_roles_in), ("client", client_roles_in))
                if value
            }
        if role.client_id is None:
            realm_roles.append(entry)
        else:
            client_roles.setdefault(role.client.client_id, []).append(entry)
    return {"realm": realm_roles, "client": _sorted_dict(client_roles)}


def group_paths(groups: list[Group]) -> dict[int, str]:
    """Keycloak paths ("/parent/child") by group id, without a query per group."""
    by_id = {group.pk: group for group in groups}

    def path(group: Group) -> str:
        parent = by_id.get(group.parent_id)
        return f"{path(parent) if parent else ''}/{group.name}"

    return {group.pk: path(group) for group in groups}


def _groups(groups: list[Group], *, parent_id: int | None) -> list[dict]:
    """The groups under ``parent_id`` (None: the top level), each with its subgroups."""
    children: dict[int | None, list[Group]] = {}
    for group in sorted(groups, key=lambda group: group.name):
        children.setdefault(group.parent_id, []).append(group)

    def subtree(parent: int | None) -> list[dict]:
        found = []
        for group in children.get(parent, []):
            realm_roles, client_roles = _role_mappings(group.roles.all())
            found.append(
                {
                    "name": group.name,
                    "realmRoles": realm_roles,
                    "clientRoles": client_roles,
                    "subGroups": subtree(group.pk),
                }
            )
        return found

    return subtree(parent_id)


def _client_scopes(realm: Realm) -> list[dict]:
    return [
        _client_scope(scope)
        for scope in sorted(for_realm(ClientScope, realm), key=lambda scope: scope.name)
    ]


def _client_scope(scope: ClientScope) -> dict:
    return {
        "name": scope.name,
        "description": scope.description,
        "protocol": scope.protocol,
        "protocolMappers": [
            {
                "name": mapper.get("name", ""),
                "protocol": mapper.get("protocol", scope.protocol),
                "protocolMapper": mapper.get("protocolMapper", ""),
                "config": _sorted_dict(mapper.get("config", {})),
            }
            for mapper in sorted(scope.protocol_mappers, key=lambda m: m.get("name", ""))
        ],
    }


def _clients(realm: Realm) -> list[dict]:
    clients = for_realm(Client, realm).prefetch_related(
        "default_client_scopes", "optional_client_scopes"
    )
    return [_client(client) for client in sorted(clients, key=lambda client: client.client_id)]


def _client(client: Client) -> dict:
    entry = {
        "clientId": client.client_id,
        "name": client.name,
        "enabled": client.enabled,
        "publicClient": client.is_public,
    }
    if not client.is_public:
        entry["hashedSecret"] = _hashed_secret(client)
    attributes = dict(client.attributes)
    # Keycloak writes it beside the attributes, not among them.
    if attributes.pop(BEARER_ONLY_ATTRIBUTE, None) == "true":
        entry["bearerOnly"] = True
    attributes.pop(DIRECT_ACCESS_ATTRIBUTE, None)
    attributes.pop(FRONTCHANNEL_LOGOUT_ATTRIBUTE, None)
    if attributes.pop(AUTHENTICATOR_ATTRIBUTE, None) is not None:
        entry["clientAuthenticatorType"] = client.authenticator
    if client.pkce_method:
        attributes[PKCE_ATTRIBUTE] = client.pkce_method
    if client.post_logout_redirect_uris.split():
        attributes[POST_LOGOUT_ATTRIBUTE] = "##".join(client.post_logout_redirect_uris.split())
    entry |= {
        "redirectUris": client.redirect_uris.split(),
        "webOrigins": client.allowed_origins.split(),
        "standardFlowEnabled": client.standard_flow_enabled,
        "serviceAccountsEnabled": client.service_accounts_enabled,
        "directAccessGrantsEnabled": client.direct_access_grants_enabled,
        "consentRequired": client.consent_required,
        "frontchannelLogout": client.frontchannel_logout,
        "defaultClientScopes": sorted(scope.name for scope in client.default_client_scopes.all()),
        "optionalClientScopes": sorted(scope.name for scope in client.optional_client_scopes.all()),
        "attributes": _sorted_dict(attributes),
    }
    return entry


def _hashed_secret(client: Client) -> str:
    if client.hash_client_secret:
        return client.client_secret
    # Stored in clear (hashing was turned off for this client): it still leaves only as a hash.
    return credentials.hash_client_secret(client.client_secret)


def _users(realm: Realm, paths: dict[int, str]) -> list[dict]:
    users = (
        for_realm(User, realm)
        .select_related("service_account_client")
        .prefetch_related("roles__client", "realm_groups", "otpdevice_set", "passkeys")
    )
    return [_user(user, paths) for user in sorted(users, key=lambda user: user.username)]


def _credentials(user: User, devices: list) -> list[dict]:
    password = (
        [{"type": "password", "hashedValue": user.password, "temporary": user.password_temporary}]
        if user.password and user.has_usable_password()
        else []
    )
    passkeys = sorted(user.passkeys.all(), key=lambda each: (each.passwordless, each.created))
    return (
        password
        + [otp_credentials.export(device) for device in devices]
        + [webauthn_credentials.export(passkey) for passkey in passkeys]
    )


def _user(user: User, paths: dict[int, str], *, with_credentials: bool = True) -> dict:
    realm_roles, client_roles = _role_mappings(user.roles.all())
    devices = [device for device in user.otpdevice_set.all() if device.confirmed]
    entry = {
        "id": str(user.subject),
        "username": user.username,
        "enabled": user.is_active,
        "email": user.email,
        "emailVerified": user.email_verified,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "totp": bool(devices),
        "requiredActions": required_actions.of(user),
        "realmRoles": realm_roles,
        "clientRoles": client_roles,
        "groups": sorted(paths[group.pk] for group in user.realm_groups.all()),
    }
    if with_credentials:
        entry["credentials"] = _credentials(user, devices)
    client = getattr(user, "service_account_client", None)
    if client is not None:
        entry["serviceAccountClientId"] = client.client_id
    return entry
