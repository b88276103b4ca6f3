"""Reads a parsed realm file into schema values, checking it as it goes; touches no database.

The first problem found stops the reading with a RealmFileError naming its JSON path. Fields
outside the understood subset are skipped and their paths returned, so the caller can warn once.
Reading happens in this order: the realm's settings, client scopes, clients, roles, groups,
users; then the references between them are checked (``_REFERENCE_CHECKS``).
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.validators import AllowedURIValidator

from accounts import password_policy, required_actions, webauthn_policy
from accounts.models import REALM_NAME, ClientScope, Realm
from accounts.signals import default_roles_name
from authserver.models import (
    CERTIFICATE_AUTHENTICATORS,
    CLIENT_JWT_AUTHENTICATOR,
    CLIENT_SECRET_AUTHENTICATOR,
    DIRECT_ACCESS_ATTRIBUTE,
    FRONTCHANNEL_LOGOUT_ATTRIBUTE,
    LOGOUT_URL_ATTRIBUTES,
)
from authserver.protocol import client_policies, mtls
from authserver.realmfile import credentials, keycloak, otp_credentials, webauthn_credentials
from authserver.realmfile.errors import RealmFileError, item, member, quote
from authserver.realmfile.schema import (
    PKCE_ATTRIBUTE,
    POST_LOGOUT_ATTRIBUTE,
    ClientScopeSpec,
    ClientSpec,
    GroupSpec,
    OTPSpec,
    PasskeySpec,
    PasswordSpec,
    RealmSpec,
    RoleSpec,
    UserSpec,
)
from authserver.redirect_uris import problem as redirect_uri_problem
from authserver.redirect_uris import web_problem

# Counts are stored in 32-bit columns on every database.
_MAX_COUNT = 2**31 - 1
# Keycloak's partial export replaces every client secret with this placeholder.
_MASKED_SECRET = "**********"
# The required action that is a flag of the password: it is temporary.
UPDATE_PASSWORD = required_actions.UPDATE_PASSWORD


@dataclass(frozen=True)
class Reading:
    realm: RealmSpec
    ignored: tuple[str, ...]
    # What was read in Keycloak's way rather than taken as given (a skipped built-in client, a
    # role mapping dropped with it), one line each.
    notes: tuple[str, ...] = ()


def parse(text: str) -> object:
    """The JSON document in ``text``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RealmFileError(
            "", f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None


def read(document: object) -> Reading:
    """The realm described by ``document``, and the paths of the fields that were skipped."""
    ignored: list[list[str]] = []
    root = _Object(document, "", ignored)
    realm = _realm(root)
    realm = keycloak.without_skipped(realm, root.skipped_clients, root.notes)
    for check in _REFERENCE_CHECKS:
        check(realm)
    return Reading(realm, tuple(path for paths in ignored for path in paths), tuple(root.notes))


# --- One object at a time: the admin API's bodies, read as the file's elements are ------------
# A body is read with the same checks and field names as its element of a realm file; paths in
# errors are relative to the body ("redirectUris[0]"). References to other objects (roles,
# groups, scopes) are the caller's to check, against what the realm already holds.


def read_realm_settings(document: object) -> RealmSpec:
    """A realm's settings (``realm``, ``enabled``, ``accessTokenLifespan``, ...), nothing nested."""
    with _Object(document, "", []) as root:
        return _realm_settings(root)


def read_client(document: object) -> ClientSpec:
    with _Object(document, "", []) as client:
        return _client(client, client.text("clientId", required=True))


def read_user(document: object) -> UserSpec:
    with _Object(document, "", []) as user:
        return _user(user)


def read_role(document: object) -> RoleSpec:
    with _Object(document, "", []) as role:
        return RoleSpec(role.path, role.text("name", required=True), role.text("description"))


def read_group(document: object) -> GroupSpec:
    with _Object(document, "", []) as group:
        return _group(group)


def read_client_scope(document: object) -> ClientScopeSpec:
    with _Object(document, "", []) as scope:
        return _client_scope(scope)


def _kind(value: object) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "true or false"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "a list"
        case _:
            return "an object"


class _Object:
    """One JSON object, read member by member; members never read are recorded as ignored."""

    def __init__(
        self,
        value: object,
        path: str,
        ignored: list[list[str]],
        notes: list[str] | None = None,
        skipped_clients: dict[str, str] | None = None,
    ):
        if not isinstance(value, dict):
            raise RealmFileError(path, f"expected an object, not {_kind(value)}")
        self.path = path
        # Shared by every object of one file: what the reading says besides ignored fields, and
        # the clients left out (client id -> why).
        self.notes = [] if notes is None else notes
        self.skipped_clients = {} if skipped_clients is None else skipped_clients
        self._value = value
        self._seen: set[str] = set()
        self._ignored = ignored
        # Reserved now, filled on leaving: an object's skipped fields are listed before those
        # of the objects inside it, as they come in the file.
        self._skipped: list[str] = []
        ignored.append(self._skipped)

    def __enter__(self) -> "_Object":
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        if error_type is None:
            self._skipped.extend(
                member(self.path, key) for key in self._value if key not in self._seen
            )

    def at(self, key: str) -> str:
        return member(self.path, key)

    def has(self, key: str) -> bool:
        return self._value.get(key) is not None

    def skip(self, key: str) -> None:
        """Leave ``key`` unread, so that it is reported as ignored."""
        self._seen.discard(key)

    def ignore(self, path: str) -> None:
        """Report ``path``, a part of a member read, as ignored."""
        self._skipped.append(path)

    def _take(self, key: str, kind: type, expected: str) -> object:
        self._seen.add(key)
        value = self._value.get(key)
        if value is None:
            return None
        # JSON's true and false are Python ints too; they are no number here.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise RealmFileError(self.at(key), f"expected {expected}, not {_kind(value)}")
        return value

    def text(self, key: str, *, required: bool = False, default: str | None = "") -> str | None:
        value = self._take(key, str, "a string")
        if required and not value:
            raise RealmFileError(self.at(key), "is required")
        return default if value is None else value

    def flag(self, key: str, *, default: bool) -> bool:
        value = self._take(key, bool, "true or false")
        return default if value is None else value

    def count(self, key: str, *, default: int) -> int:
        value = self._take(key, int, "a whole number")
        if value is None:
            return default
        if not 0 <= value <= _MAX_COUNT:
            raise RealmFileError(self.at(key), f"must be between 0 and {_MAX_COUNT}")
        return value

    def array(self, key: str) -> list:
        return self._take(key, list, "a list") or []

    def mapping(self, key: str) -> dict:
        return self._take(key, dict, "an object") or {}

    def wrap(self, value: object, path: str) -> "_Object":
        """Another object of the same file, read in the same way."""
        return _Object(value, path, self._ignored, self.notes, self.skipped_clients)

    def child(self, key: str) -> "_Object":
        return self.wrap(self.mapping(key), self.at(key))

    def children(self, key: str) -> Iterator["_Object"]:
        path = self.at(key)
        for index, value in enumerate(self.array(key)):
            yield self.wrap(value, item(path, index))

    def names(self, key: str) -> tuple[str, ...]:
        return _names(self.array(key), self.at(key))


def _names(values: object, path: str) -> tuple[str, ...]:
    """A list of non-empty strings."""
    if not isinstance(values, list):
        raise RealmFileError(path, f"expected a list, not {_kind(values)}")
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise RealmFileError(item(path, index), f"expected a name, not {_kind(value)}")
        if not value:
            raise RealmFileError(item(path, index), "a name cannot be empty")
    return tuple(values)


def _by_client(values: dict, path: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``{"clientId": ["role", ...]}`` as ((client_id, (role, ...)), ...)."""
    return tuple(
        (client_id, _names(names, member(path, client_id))) for client_id, names in values.items()
    )


def _unique(seen: dict[str, str], name: str, path: str, what: str) -> None:
    if name in seen:
        raise RealmFileError(path, f"duplicate {what} {quote(name)} (also at {seen[name]})")
    seen[name] = path


def _default(field_name: str):
    return Realm._meta.get_field(field_name).default


# --- The realm -----------------------------------------------------------------------------------


def _realm(root: _Object) -> RealmSpec:
    with root:
        settings_spec = _realm_settings(root)
        client_scopes = _client_scopes(root)
        clients = _clients(root)
        roles = _roles(root.child("roles"))
        realm_roles, default_role = _with_default_roles(
            root, settings_spec.name, roles.pop("realm_roles")
        )
        return replace(
            settings_spec,
            client_scopes=client_scopes,
            clients=clients,
            realm_roles=realm_roles,
            default_role=default_role,
            **roles,
            groups=_groups(root, "groups"),
            users=_users(root),
        )


def _with_default_roles(
    root: _Object, realm_name: str, realm_roles: tuple[RoleSpec, ...]
) -> tuple[tuple[RoleSpec, ...], str | None]:
    """The realm roles, and the name of Keycloak's default role. Since Keycloak 13 it is a
    composite realm role (``default-roles-<realm>``) that ``defaultRole`` names. Before,
    ``defaultRoles`` listed realm roles: they become that composite role, as Keycloak's own
    upgrade does. New users are given it (accounts.signals)."""
    with root.child("defaultRole") as default_role:
        named = default_role.text("name", default=None)
        if named is not None:
            if not any(role.name == named for role in realm_roles):
                # Keycloak makes every realm's default role; a partial export may leave it out.
                realm_roles = (*realm_roles, RoleSpec(default_role.path, named))
            return realm_roles, named
    name = default_roles_name(realm_name)
    listed = root.names("defaultRoles")
    if not listed or any(role.name == name for role in realm_roles):
        return realm_roles, None
    path = root.at("defaultRoles")
    # Keycloak made a default role that did not exist yet (offline_access, uma_authorization).
    defined = {role.name for role in realm_roles}
    missing = tuple(
        RoleSpec(item(path, index), listed_name)
        for index, listed_name in enumerate(listed)
        if listed_name not in defined
    )
    composite = RoleSpec(path, name, "${role_default-roles}", composite_realm_roles=listed)
    return (*realm_roles, *missing, composite), name


def _realm_settings(root: _Object) -> RealmSpec:
    """The realm's own settings, without what it owns."""
    name = root.text("realm", required=True)
    try:
        REALM_NAME(name)
    except ValidationError as error:
        raise RealmFileError(root.at("realm"), " ".join(error.messages)) from None
    signature_algorithm = _signature_algorithm(root)
    return RealmSpec(
        name=name,
        enabled=root.flag("enabled", default=_default("enabled")),
        display_name=root.text("displayName"),
        access_token_lifespan=root.count(
            "accessTokenLifespan", default=_default("access_token_lifespan")
        ),
        sso_session_idle_timeout=root.count(
            "ssoSessionIdleTimeout", default=_default("sso_session_idle_timeout")
        ),
        sso_session_max_lifespan=root.count(
            "ssoSessionMaxLifespan", default=_default("sso_session_max_lifespan")
        ),
        revoke_refresh_token=root.flag(
            "revokeRefreshToken", default=_default("revoke_refresh_token")
        ),
        brute_force_protected=root.flag(
            "bruteForceProtected", default=_default("brute_force_protected")
        ),
        failure_factor=root.count("failureFactor", default=_default("failure_factor")),
        password_policy=_password_policy(root),
        default_signature_algorithm=signature_algorithm,
        **_otp_policy(root),
        registration_allowed=root.flag(
            "registrationAllowed", default=_default("registration_allowed")
        ),
        registration_email_as_username=root.flag(
            "registrationEmailAsUsername", default=_default("registration_email_as_username")
        ),
        login_with_email_allowed=root.flag(
            "loginWithEmailAllowed", default=_default("login_with_email_allowed")
        ),
        duplicate_emails_allowed=root.flag(
            "duplicateEmailsAllowed", default=_default("duplicate_emails_allowed")
        ),
        reset_password_allowed=root.flag(
            "resetPasswordAllowed", default=_default("reset_password_allowed")
        ),
        verify_email=root.flag("verifyEmail", default=_default("verify_email")),
        **_smtp_server(root),
        **_client_policies(root, signature_algorithm),
        webauthn_policy=_webauthn_policy(root, webauthn_policy.SECOND_FACTOR),
        webauthn_policy_passwordless=_webauthn_policy(root, webauthn_policy.PASSWORDLESS),
    )


def _client_policies(root: _Object, signature_algorithm: str) -> dict:
    """Keycloak's clientPolicies and clientProfiles, kept as given once they are checked; what
    this server would not apply of them is said."""
    policies = root.mapping("clientPolicies") or {"policies": []}
    profiles = root.mapping("clientProfiles") or {"profiles": []}
    profiles = {"profiles": profiles.get("profiles", [])}  # globalProfiles are this server's
    try:
        problems = client_policies.check(
            policies=policies, profiles=profiles, signature_algorithm=signature_algorithm
        )
    except client_policies.PolicyDocumentError as error:
        raise RealmFileError(root.at("clientPolicies"), str(error)) from None
    root.notes.extend(f"{root.at('clientPolicies')}: {problem}" for problem in problems)
    return {"client_policies": policies, "client_profiles": profiles}


_EXPECTED = {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}


def _webauthn_policy(root: _Object, prefix: str) -> dict:
    """Keycloak's webAuthnPolicy* (or webAuthnPolicyPasswordless*) fields, checked and
    complete (accounts.webauthn_policy); algorithms this server cannot verify are left out,
    said so."""
    given = {}
    for key, kind, _fallback, _choices in webauthn_policy.settings_of(prefix):
        value = root._take(webauthn_policy.field_name(prefix, key), kind, _EXPECTED[kind])
        if value is not None:
            given[key] = value
    try:
        policy, notes = webauthn_policy.checked(prefix, given)
    except webauthn_policy.PolicyError as error:
        raise RealmFileError(
            root.at(webauthn_policy.field_name(prefix, error.key)), str(error)
        ) from None
    root.notes.extend(
        f"{root.at(webauthn_policy.field_name(prefix, key))}: {note}" for key, note in notes
    )
    return policy


# Keycloak's smtpServer: every value a string ("true"/"false" for the flags).
_SMTP_KEYS = (
    "host",
    "port",
    "from",
    "fromDisplayName",
    "replyTo",
    "envelopeFrom",
    "ssl",
    "starttls",
    "auth",
    "user",
)


def _smtp_server(root: _Object) -> dict:
    """The settings, and the password apart: None when absent or masked (unchanged)."""
    with root.child("smtpServer") as smtp:
        server = {}
        for key in _SMTP_KEYS:
            value = smtp.text(key, default=None)
            if value:
                server[key] = value
        if "port" in server and not (server["port"].isdigit() and 0 < int(server["port"]) < 65536):
            raise RealmFileError(smtp.at("port"), "must be a port number")
        password = smtp.text("password", default=None)
    if password == _MASKED_SECRET:
        password = None
    return {"smtp_server": server, "smtp_password": password}


def _otp_policy(root: _Object) -> dict:
    """Keycloak's otpPolicy* fields (checked against the model's choices on writing)."""
    return {
        "otp_policy_type": root.text("otpPolicyType", default=_default("otp_policy_type")),
        "otp_policy_algorithm": root.text(
            "otpPolicyAlgorithm", default=_default("otp_policy_algorithm")
        ),
        "otp_policy_digits": root.count("otpPolicyDigits", default=_default("otp_policy_digits")),
        "otp_policy_period": root.count("otpPolicyPeriod", default=_default("otp_policy_period")),
        "otp_policy_look_ahead_window": root.count(
            "otpPolicyLookAheadWindow", default=_default("otp_policy_look_ahead_window")
        ),
        "otp_policy_initial_counter": root.count(
            "otpPolicyInitialCounter", default=_default("otp_policy_initial_counter")
        ),
        "otp_required": root.flag("otpRequired", default=_default("otp_required")),
    }


def _password_policy(root: _Object) -> str:
    policy = root.text("passwordPolicy")
    try:
        password_policy.parse(policy)
    except password_policy.PasswordPolicyError as error:
        raise RealmFileError(root.at("passwordPolicy"), str(error)) from None
    return policy


def _signature_algorithm(root: _Object) -> str:
    key = "defaultSignatureAlgorithm"
    algorithm = root.text(key, default=_default("default_signature_algorithm"))
    if algorithm not in Realm.SignatureAlgorithm.values:
        supported = " or ".join(Realm.SignatureAlgorithm.values)
        raise RealmFileError(root.at(key), f"{quote(algorithm)} is not supported ({supported})")
    return algorithm


# --- Roles ---------------------------------------------------------------------------------------


def _roles(roles: _Object) -> dict:
    with roles:
        realm_roles = _role_list(roles.array("realm"), roles.at("realm"), roles)
        clients_path = roles.at("client")
        client_roles = tuple(
            (client_id, _role_list(values, member(clients_path, client_id), roles))
            for client_id, values in roles.mapping("client").items()
        )
        return {"realm_roles": realm_roles, "client_roles": client_roles}


def _role_list(values: object, path: str, parent: _Object) -> tuple[RoleSpec, ...]:
    if not isinstance(values, list):
        raise RealmFileError(path, f"expected a list, not {_kind(values)}")
    specs, seen = [], {}
    for index, value in enumerate(values):
        with parent.wrap(value, item(path, index)) as role:
            name = role.text("name", required=True)
            _unique(seen, name, role.at("name"), "role")
            specs.append(_composites(role, RoleSpec(role.path, name, role.text("description"))))
    return tuple(specs)


def _composites(role: _Object, spec: RoleSpec) -> RoleSpec:
    """Keycloak's ``composites`` ({"realm": [...], "client": {"id": [...]}}); its flag
    ``composite`` only says whether there are any."""
    role.flag("composite", default=False)
    if not role.has("composites"):
        return spec
    with role.child("composites") as composites:
        return replace(
            spec,
            composite_realm_roles=composites.names("realm"),
            composite_client_roles=_by_client(
                composites.mapping("client"), composites.at("client")
            ),
        )


# --- Groups --------------------------------------------------------------------------------------


def _groups(parent: _Object, key: str) -> tuple[GroupSpec, ...]:
    specs, seen = [], {}
    for group in parent.children(key):
        with group:
            spec = _group(group)
            _unique(seen, spec.name, group.at("name"), "group")
            specs.append(spec)
    return tuple(specs)


def _group(group: _Object) -> GroupSpec:
    name = group.text("name", required=True)
    if "/" in name:
        raise RealmFileError(group.at("name"), "a group name cannot contain '/'")
    return GroupSpec(
        path=group.path,
        name=name,
        realm_roles=group.names("realmRoles"),
        client_roles=_by_client(group.mapping("clientRoles"), group.at("clientRoles")),
        sub_groups=_groups(group, "subGroups"),
    )


def _group_paths(
    groups: tuple[GroupSpec, ...], prefix: str = ""
) -> Iterator[tuple[str, GroupSpec]]:
    """("/parent/child", group) for every group, parents first."""
    for group in groups:
        path = f"{prefix}/{group.name}"
        yield path, group
        yield from _group_paths(group.sub_groups, path)


# --- Client scopes -------------------------------------------------------------------------------


def _client_scopes(root: _Object) -> tuple[ClientScopeSpec, ...]:
    specs, seen = [], {}
    for scope in root.children("clientScopes"):
        with scope:
            spec = _client_scope(scope)
            _unique(seen, spec.name, scope.at("name"), "client scope")
            specs.append(spec)
    return tuple(specs)


def _client_scope(scope: _Object) -> ClientScopeSpec:
    name = scope.text("name", required=True)
    if len(name.split()) != 1 or name != name.strip():
        raise RealmFileError(scope.at("name"), "a scope name cannot contain spaces")
    protocol = scope.text("protocol", default="openid-connect")
    return ClientScopeSpec(
        path=scope.path,
        name=name,
        description=scope.text("description"),
        protocol=protocol,
        protocol_mappers=_protocol_mappers(scope, protocol),
    )


def _protocol_mappers(scope: _Object, protocol: str) -> tuple[dict, ...]:
    mappers, seen = [], {}
    for mapper in scope.children("protocolMappers"):
        with mapper:
            name = mapper.text("name", required=True)
            _unique(seen, name, mapper.at("name"), "protocol mapper")
            kind = mapper.text("protocolMapper", required=True)
            config = mapper.mapping("config")
            # Keycloak's audience mapper names a client of the realm or any custom audience.
            audiences = [config.get(key) for key in ClientScope.AUDIENCE_KEYS]
            if kind == ClientScope.AUDIENCE_MAPPER and not any(
                value and isinstance(value, str) for value in audiences
            ):
                raise RealmFileError(
                    member(mapper.at("config"), "included.custom.audience"),
                    "an audience mapper needs the audience (included.client.audience or "
                    "included.custom.audience), a string",
                )
            mappers.append(
                {
                    "name": name,
                    "protocol": mapper.text("protocol", default=protocol),
                    "protocolMapper": kind,
                    "config": config,
                }
            )
    return tuple(mappers)


# --- Clients -------------------------------------------------------------------------------------


def _clients(root: _Object) -> tuple[ClientSpec, ...]:
    specs, seen = [], {}
    for client in root.children("clients"):
        client_id = client.text("clientId", required=True)
        _unique(seen, client_id, client.at("clientId"), "clientId")
        why = _skipped_because(client, client_id)
        if why:
            # Left unread as a whole: its fields are not reported one by one.
            root.skipped_clients[client_id] = why
            root.notes.append(f"{client.path}: skipped client {quote(client_id)} ({why})")
            continue
        with client:
            specs.append(_client(client, client_id, wildcards=True))
    return tuple(specs)


def _skipped_because(client: _Object, client_id: str) -> str:
    """Why a client of a Keycloak export is not imported, or "" when it is."""
    if keycloak.is_built_in_client(client_id, client.text("name", default=None)):
        return "Keycloak's built-in client; this server has its own"
    protocol = client.text("protocol", default="openid-connect")
    if protocol != "openid-connect":
        return f"a {protocol} client; only OpenID Connect clients are supported"
    return ""


def _client(client: _Object, client_id: str, *, wildcards: bool = False) -> ClientSpec:
    """A client; with ``wildcards`` (a realm file), Keycloak's wildcard redirect URIs too.
    Clients made one at a time (the admin API) get exact redirect URIs only (RFC 9700
    §4.1.3)."""
    public = client.flag("publicClient", default=False)
    bearer_only = client.flag("bearerOnly", default=False)
    authenticator = _authenticator(client, public=public)
    secret, hashed_secret = _client_secret(client, public=public)
    generated_secret = False
    if not public and secret is None and hashed_secret is None:
        # Keycloak makes a confidential client's secret when none is given, and its partial
        # export masks the secret: either way the client gets a fresh one here.
        secret, generated_secret = credentials.new_client_secret(), True
    attributes = dict(client.mapping("attributes"))
    attributes_path = client.at("attributes")
    # Keycloak's field; an export from here before it was written kept only the attribute.
    stored = str(attributes.pop(DIRECT_ACCESS_ATTRIBUTE, "false")).lower()
    direct_access = client.flag("directAccessGrantsEnabled", default=stored == "true")
    if direct_access and not bearer_only:
        attributes[DIRECT_ACCESS_ATTRIBUTE] = "true"
    # Keycloak's field, kept as an attribute (the front-channel URL is one already).
    stored = str(attributes.pop(FRONTCHANNEL_LOGOUT_ATTRIBUTE, "false")).lower()
    if client.flag("frontchannelLogout", default=stored == "true"):
        attributes[FRONTCHANNEL_LOGOUT_ATTRIBUTE] = "true"
    _check_logout_urls(attributes, attributes_path)
    root_url = client.text("rootUrl")
    redirect_uris = tuple(
        keycloak.resolve_uri(uri, root_url, settings.AUTHSERVER_URL)
        for uri in client.names("redirectUris")
    )
    for index, uri in enumerate(redirect_uris):
        _check_redirect_uri(uri, item(client.at("redirectUris"), index), wildcards=wildcards)
    post_logout = _post_logout_redirect_uris(
        attributes.pop(POST_LOGOUT_ATTRIBUTE, ""),
        member(attributes_path, POST_LOGOUT_ATTRIBUTE),
        redirect_uris,
        wildcards=wildcards,
    )
    pkce_method = _pkce_method(
        attributes.pop(PKCE_ATTRIBUTE, ""), member(attributes_path, PKCE_ATTRIBUTE)
    )
    for name, problem in mtls.registration_problems(authenticator, attributes).items():
        raise RealmFileError(member(attributes_path, name), problem)
    default_scopes = client.names("defaultClientScopes")
    optional_scopes = client.names("optionalClientScopes")
    for index, name in enumerate(optional_scopes):
        if name in default_scopes:
            raise RealmFileError(
                item(client.at("optionalClientScopes"), index),
                f"client scope {quote(name)} is already a default scope of this client",
            )
    return ClientSpec(
        path=client.path,
        client_id=client_id,
        name=client.text("name"),
        enabled=client.flag("enabled", default=True),
        public=public,
        secret=secret,
        hashed_secret=hashed_secret,
        # Shown to the operator only where it is of use: a client that authenticates with it.
        generated_secret=(
            generated_secret and not bearer_only and authenticator == CLIENT_SECRET_AUTHENTICATOR
        ),
        bearer_only=bearer_only,
        authenticator=authenticator,
        redirect_uris=redirect_uris,
        web_origins=_web_origins(client, redirect_uris, wildcards=wildcards),
        post_logout_redirect_uris=post_logout,
        pkce_method=pkce_method,
        # A bearer-only client is never issued a token (Keycloak's meaning): no flow at all.
        standard_flow_enabled=client.flag("standardFlowEnabled", default=True) and not bearer_only,
        service_accounts_enabled=(
            client.flag("serviceAccountsEnabled", default=False) and not bearer_only
        ),
        consent_required=client.flag("consentRequired", default=False),
        default_client_scopes=default_scopes,
        optional_client_scopes=optional_scopes,
        attributes=attributes,
    )


def _authenticator(client: _Object, *, public: bool) -> str:
    """Keycloak's ``clientAuthenticatorType``. A type this server does not know is kept, and
    the client then authenticates by no means at all (said so), rather than by its secret."""
    authenticator = client.text("clientAuthenticatorType", default=CLIENT_SECRET_AUTHENTICATOR)
    if public:
        # Keycloak keeps it on a public client, which authenticates with nothing.
        client.skip("clientAuthenticatorType")
        return CLIENT_SECRET_AUTHENTICATOR
    if authenticator not in (
        CLIENT_SECRET_AUTHENTICATOR,
        CLIENT_JWT_AUTHENTICATOR,
        *CERTIFICATE_AUTHENTICATORS,
    ):
        client.notes.append(
            f"{client.at('clientAuthenticatorType')}: {quote(authenticator)} is not supported; "
            "the client cannot authenticate until it is changed"
        )
    return authenticator


def _client_secret(client: _Object, *, public: bool) -> tuple[str | None, str | None]:
    secret = client.text("secret", default=None)
    hashed = client.text("hashedSecret", default=None)
    if public:
        # Keycloak keeps the secret of a client that was made public; it has no use here.
        client.skip("secret")
        client.skip("hashedSecret")
        return None, None
    if secret is not None and hashed is not None:
        raise RealmFileError(
            client.at("hashedSecret"), "give either secret or hashedSecret, not both"
        )
    if hashed is not None:
        try:
            return None, credentials.client_secret_hash(hashed)
        except ValueError as error:
            raise RealmFileError(client.at("hashedSecret"), str(error)) from None
    if not secret or secret == _MASKED_SECRET:
        return None, None
    return secret, None


def _check_redirect_uri(uri: str, path: str, *, wildcards: bool) -> None:
    """Keycloak's redirect URIs: a trailing ``*`` matches any URI it begins (``*`` alone, any
    URI at all), and a native app's private-use scheme (RFC 8252 §7.1) is a redirect URI."""
    if "*" in uri and not wildcards:
        raise RealmFileError(path, "wildcards are not supported; list each redirect URI")
    if uri == keycloak.ANY:
        return
    if "*" in uri.removesuffix("*"):
        raise RealmFileError(path, "a wildcard is allowed only at the end of a redirect URI")
    # The registration rule (redirect_uris.problem) admits a native app's private-use scheme; a
    # wildcard's prefix may stop anywhere (``com.example.app://*``), so it is judged as the
    # shortest URI it matches.
    _check_uri(uri.removesuffix("*") + "x" if uri.endswith("*") else uri, path, "redirect URI")


def _check_uri(uri: str, path: str, what: str, *, allow_path: bool = True) -> None:
    if "*" in uri:
        raise RealmFileError(path, f"wildcards are not supported; list each {what}")
    if allow_path:
        # A redirect URI: the rule the console and the admin API apply too.
        problem = redirect_uri_problem(uri, what)
        if problem:
            raise RealmFileError(path, f"{quote(uri)} {problem}")
        return
    validator = AllowedURIValidator(
        oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES,
        what,
        allow_path=allow_path,
        allow_query=allow_path,
    )
    try:
        validator(uri)
    except ValidationError as error:
        cause = (error.params or {}).get("cause") or " ".join(error.messages)
        raise RealmFileError(path, f"{quote(uri)} is not a valid {what} ({cause})") from None


def _web_origins(
    client: _Object, redirect_uris: tuple[str, ...], *, wildcards: bool
) -> tuple[str, ...]:
    """The origins, with Keycloak's "+" standing for those of the redirect URIs and, in a realm
    file (``wildcards``), "*" for any origin. Keycloak keeps, and never matches, an entry that is
    no origin ("/*", "https://host/path"): it is left out here, said so."""
    path = client.at("webOrigins")
    found: list[str] = []
    for index, origin in enumerate(client.names("webOrigins")):
        if origin == keycloak.ANY:
            if not wildcards:
                raise RealmFileError(
                    item(path, index), "any origin (*) is not allowed; list each origin"
                )
            expanded = [origin]
        elif origin == "+":
            expanded = [
                f"{parts.scheme}://{parts.netloc}"
                for parts in map(urlsplit, redirect_uris)
                if parts.scheme in ("http", "https")
            ]
        else:
            expanded = [origin.rstrip("/")]
        for each in expanded:
            if each != keycloak.ANY and not keycloak.is_origin(each):
                client.notes.append(f"{item(path, index)}: {quote(origin)} is no origin; left out")
                continue
            if each not in found:
                found.append(each)
    return tuple(found)


def _post_logout_redirect_uris(
    value: object, path: str, redirect_uris: tuple[str, ...], *, wildcards: bool
) -> tuple[str, ...]:
    """Keycloak's "##"-separated list, with "+" standing for the redirect URIs."""
    if not isinstance(value, str):
        raise RealmFileError(path, f"expected a string, not {_kind(value)}")
    found: list[str] = []
    for uri in filter(None, value.split("##")):
        for each in redirect_uris if uri == "+" else [uri]:
            _check_redirect_uri(each, path, wildcards=wildcards)
            if each not in found:
                found.append(each)
    return tuple(found)


def _check_logout_urls(attributes: dict, path: str) -> None:
    """The front- and back-channel logout URLs: absolute http(s) URLs without a fragment, or
    empty (none)."""
    for attribute in LOGOUT_URL_ATTRIBUTES:
        uri = attributes.get(attribute)
        if uri is None or uri == "":
            continue
        where = member(path, attribute)
        if not isinstance(uri, str):
            raise RealmFileError(where, f"expected a string, not {_kind(uri)}")
        problem = web_problem(uri, "logout URL")
        if problem:
            raise RealmFileError(where, f"{quote(uri)} {problem}")


def _pkce_method(value: object, path: str) -> str:
    if value == "plain":
        raise RealmFileError(path, 'the "plain" PKCE method is not supported; use "S256"')
    if value not in ("", "S256"):
        raise RealmFileError(path, f'expected "S256" or "", not {quote(value)}')
    return value


# --- Users ---------------------------------------------------------------------------------------


def _users(root: _Object) -> tuple[UserSpec, ...]:
    specs, seen, seen_ids, credential_ids = [], {}, {}, {}
    for user in root.children("users"):
        with user:
            spec = _user(user)
            _unique(seen, spec.username, user.at("username"), "username")
            if spec.subject is not None:
                _unique(seen_ids, str(spec.subject), user.at("id"), "user id")
            specs.append(_one_holder_per_passkey(spec, credential_ids, user))
    return tuple(specs)


def _one_holder_per_passkey(spec: UserSpec, seen: dict[str, str], user: _Object) -> UserSpec:
    """A credential id is one user's only in a realm: a second holder's is skipped, said so."""
    kept = []
    for passkey in spec.passkeys:
        if passkey.credential_id in seen:
            kind = "webauthn-passwordless" if passkey.passwordless else "webauthn"
            user.notes.append(
                f"{user.at('credentials')}: a {kind} credential that user "
                f"{quote(seen[passkey.credential_id])} has too; skipped"
            )
            continue
        seen[passkey.credential_id] = spec.username
        kept.append(passkey)
    return replace(spec, passkeys=tuple(kept))


def _user(user: _Object) -> UserSpec:
    # Keycloak's "totp" says whether the user has an otp credential: the credentials say it.
    user.flag("totp", default=False)
    password, otp, passkeys = _credentials(user)
    actions = _required_actions(user)
    if password is not None and UPDATE_PASSWORD in actions:
        password = replace(password, temporary=True)
    return UserSpec(
        path=user.path,
        username=user.text("username", required=True),
        subject=_subject(user),
        email=user.text("email"),
        email_verified=user.flag("emailVerified", default=False),
        first_name=user.text("firstName"),
        last_name=user.text("lastName"),
        enabled=user.flag("enabled", default=True),
        password=password,
        required_actions=actions,
        otp=otp,
        passkeys=passkeys,
        realm_roles=user.names("realmRoles"),
        client_roles=_by_client(user.mapping("clientRoles"), user.at("clientRoles")),
        groups=tuple(name if name.startswith("/") else f"/{name}" for name in user.names("groups")),
        service_account_client_id=user.text("serviceAccountClientId", default=None),
    )


def _subject(user: _Object) -> uuid.UUID | None:
    value = user.text("id", default=None)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise RealmFileError(user.at("id"), f"expected a UUID, not {quote(value)}") from None


def _credentials(
    user: _Object,
) -> tuple[PasswordSpec | None, tuple[OTPSpec, ...], tuple[PasskeySpec, ...]]:
    password, otp, passkeys = None, [], []
    for credential in user.children("credentials"):
        with credential:
            kind = credential.text("type", required=True)
            if kind == "otp":
                otp.append(_otp_credential(credential))
                continue
            if kind in webauthn_credentials.TYPES:
                passkey = _webauthn_credential(credential, kind)
                if passkey is not None:
                    passkeys.append(passkey)
                continue
            if kind != "password":
                raise RealmFileError(
                    credential.at("type"),
                    'only "password", "otp", "webauthn" and "webauthn-passwordless" '
                    f"credentials are supported, not {quote(kind)}",
                )
            if password is not None:
                raise RealmFileError(credential.path, "a user has at most one password")
            password = _password_credential(credential)
    return password, tuple(otp), tuple(passkeys)


def _webauthn_credential(credential: _Object, kind: str) -> PasskeySpec | None:
    """A passkey; a malformed one is skipped with a warning naming it (the user keeps the
    rest: a passkey can be registered again, a realm file is not worth refusing for it)."""
    secret_data = credential.text("secretData", default=None)
    credential_data = credential.text("credentialData", default=None)
    created = credential._take("createdDate", int, "a whole number")
    credential.text("id")  # Keycloak's credential id: not kept
    try:
        if not credential_data:
            raise credentials.CredentialError("is required", field="credentialData")
        return webauthn_credentials.read(
            kind,
            secret_data,
            credential_data,
            label=credential.text("userLabel"),
            created_ms=created or None,
        )
    except credentials.CredentialError as error:
        credential.notes.append(f"{credential.at(error.field)}: {kind} credential skipped: {error}")
        return None


def _otp_credential(credential: _Object) -> OTPSpec:
    secret_data = credential.text("secretData", required=True)
    credential_data = credential.text("credentialData", required=True)
    # Milliseconds since 1970: beyond the 32-bit counts of ``count``.
    created = credential._take("createdDate", int, "a whole number")
    try:
        return otp_credentials.read(
            secret_data,
            credential_data,
            label=credential.text("userLabel"),
            created_ms=created or None,
        )
    except credentials.CredentialError as error:
        raise RealmFileError(credential.at(error.field), str(error)) from None


def _required_actions(user: _Object) -> tuple[str, ...]:
    """Keycloak's ``requiredActions``: UPDATE_PASSWORD makes the password temporary (the user
    chooses a new one at the next login), as Keycloak's exports say it; CONFIGURE_TOTP,
    VERIFY_EMAIL, UPDATE_PROFILE, TERMS_AND_CONDITIONS, webauthn-register and
    webauthn-register-passwordless are kept; others are reported as
    ignored."""
    path = user.at("requiredActions")
    kept = []
    for index, action in enumerate(user.names("requiredActions")):
        if action in required_actions.ALL:
            kept.append(action)
        else:
            user.ignore(item(path, index))
    return tuple(kept)


def _password_credential(credential: _Object) -> PasswordSpec:
    given = [key for key in ("value", "hashedValue", "secretData") if credential.has(key)]
    if len(given) != 1:
        raise RealmFileError(
            credential.path, "give exactly one of value, hashedValue or secretData"
        )
    temporary = credential.flag("temporary", default=False)
    if given == ["value"]:
        return PasswordSpec(plain=credential.text("value", required=True), temporary=temporary)
    if given == ["hashedValue"]:
        encoded = credential.text("hashedValue")
        try:
            return PasswordSpec(
                encoded=credentials.user_password_hash(encoded), temporary=temporary
            )
        except ValueError as error:
            raise RealmFileError(credential.at("hashedValue"), str(error)) from None
    secret_data = credential.text("secretData")
    credential_data = credential.text("credentialData", required=True)
    try:
        encoded = credentials.keycloak_password_hash(secret_data, credential_data)
    except credentials.CredentialError as error:
        raise RealmFileError(credential.at(error.field), str(error)) from None
    return PasswordSpec(encoded=encoded, temporary=temporary)


# --- References between the parts ---------------------------------------------------------------


def _client_roles_belong_to_clients(realm: RealmSpec) -> None:
    client_ids = {client.client_id for client in realm.clients}
    for client_id, _roles in realm.client_roles:
        if client_id not in client_ids:
            raise RealmFileError(
                member("roles.client", client_id), f"client {quote(client_id)} is not defined"
            )


def _client_scopes_are_defined(realm: RealmSpec) -> None:
    defined = set(ClientScope.BUILT_IN) | {scope.name for scope in realm.client_scopes}
    for client in realm.clients:
        for key, names in (
            ("defaultClientScopes", client.default_client_scopes),
            ("optionalClientScopes", client.optional_client_scopes),
        ):
            for index, name in enumerate(names):
                if name not in defined:
                    raise RealmFileError(
                        item(member(client.path, key), index),
                        f"client scope {quote(name)} is not defined",
                    )


def _check_role_mappings(
    realm: RealmSpec,
    owner_path: str,
    realm_roles,
    client_roles,
    *,
    keys: tuple[str, str] = ("realmRoles", "clientRoles"),
) -> None:
    """A group's or user's realmRoles and clientRoles (a composite role's ``composites``
    realm and client) name roles defined in the file."""
    defined = {role.name for role in realm.realm_roles}
    for index, name in enumerate(realm_roles):
        if name not in defined:
            raise RealmFileError(
                item(member(owner_path, keys[0]), index), f"role {quote(name)} is not defined"
            )
    # Every realm has realm-management with its admin roles, whether the file declares it.
    clients = {client.client_id for client in realm.clients} | {keycloak.REALM_MANAGEMENT}
    by_client = {keycloak.REALM_MANAGEMENT: keycloak.ADMIN_ROLES} | {
        client_id: {role.name for role in roles} for client_id, roles in realm.client_roles
    }
    for client_id, names in client_roles:
        path = member(member(owner_path, keys[1]), client_id)
        if client_id not in clients:
            raise RealmFileError(path, f"client {quote(client_id)} is not defined")
        for index, name in enumerate(names):
            if name not in by_client.get(client_id, set()):
                raise RealmFileError(
                    item(path, index),
                    f"role {quote(name)} of client {quote(client_id)} is not defined",
                )


def _composite_roles_are_defined(realm: RealmSpec) -> None:
    """As in Keycloak, whose import fails on a composite naming a role it cannot find."""
    roles = list(realm.realm_roles) + [role for _id, specs in realm.client_roles for role in specs]
    for role in roles:
        _check_role_mappings(
            realm,
            member(role.path, "composites"),
            role.composite_realm_roles,
            role.composite_client_roles,
            keys=("realm", "client"),
        )


def _group_roles_are_defined(realm: RealmSpec) -> None:
    for _path, group in _group_paths(realm.groups):
        _check_role_mappings(realm, group.path, group.realm_roles, group.client_roles)


def _user_roles_are_defined(realm: RealmSpec) -> None:
    for user in realm.users:
        _check_role_mappings(realm, user.path, user.realm_roles, user.client_roles)


def _user_groups_are_defined(realm: RealmSpec) -> None:
    defined = {path for path, _group in _group_paths(realm.groups)}
    for user in realm.users:
        for index, path in enumerate(user.groups):
            if path not in defined:
                raise RealmFileError(
                    item(member(user.path, "groups"), index), f"group {quote(path)} is not defined"
                )


def _service_accounts_are_single(realm: RealmSpec) -> None:
    clients = {client.client_id for client in realm.clients}
    seen: dict[str, str] = {}
    for user in realm.users:
        client_id = user.service_account_client_id
        if client_id is None:
            continue
        path = member(user.path, "serviceAccountClientId")
        if client_id not in clients:
            raise RealmFileError(path, f"client {quote(client_id)} is not defined")
        _unique(seen, client_id, path, "service account of client")


def _emails_are_unique(realm: RealmSpec) -> None:
    """Unless the realm allows duplicate e-mails, no two users share an address (compared
    without regard to case), as Keycloak's import refuses them."""
    if realm.duplicate_emails_allowed:
        return
    seen: dict[str, str] = {}
    for user in realm.users:
        if user.email:
            path = member(user.path, "email")
            if user.email.lower() in seen:
                raise RealmFileError(
                    path,
                    f"e-mail address {quote(user.email)} is another user's too (at "
                    f"{seen[user.email.lower()]}); the realm does not allow duplicate e-mails "
                    "(duplicateEmailsAllowed)",
                )
            seen[user.email.lower()] = path


_REFERENCE_CHECKS = (
    _client_roles_belong_to_clients,
    _client_scopes_are_defined,
    _group_roles_are_defined,
    _user_roles_are_defined,
    _composite_roles_are_defined,
    _user_groups_are_defined,
    _service_accounts_are_single,
    _emails_are_unique,
)
