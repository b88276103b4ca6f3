"""Writes a read realm file (schema values) to the database, all of it or nothing.

Everything happens in one transaction. Replacing an existing realm deletes it, with everything
it owns, and creates it afresh inside that transaction, so no half-replaced realm is ever seen
and nothing of the old contents lingers. Each row is checked by its model's field validation
before it is written; a failure is reported at the JSON path it came from.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from accounts import required_actions, sealed
from accounts.models import MASTER_REALM, ClientScope, Group, Realm, Role, User
from accounts.realms import for_realm
from authserver.models import (
    AUTHENTICATOR_ATTRIBUTE,
    BEARER_ONLY_ATTRIBUTE,
    CLIENT_SECRET_AUTHENTICATOR,
    Client,
)
from authserver.realmfile import credentials, keycloak, otp_credentials, webauthn_credentials
from authserver.realmfile.errors import RealmExistsError, RealmFileError, member, quote
from authserver.realmfile.schema import (
    POST_LOGOUT_ATTRIBUTE,
    ClientSpec,
    GroupSpec,
    RealmSpec,
    UserSpec,
)

# Model field -> file key (or keys, for a nested one), so that a model's validation error names
# the field of the file.
_REALM_KEYS = {
    "name": "realm",
    "display_name": "displayName",
    "password_policy": "passwordPolicy",
    "default_signature_algorithm": "defaultSignatureAlgorithm",
    "otp_policy_type": "otpPolicyType",
    "otp_policy_algorithm": "otpPolicyAlgorithm",
    "otp_policy_digits": "otpPolicyDigits",
    "otp_policy_period": "otpPolicyPeriod",
    "otp_policy_look_ahead_window": "otpPolicyLookAheadWindow",
    "otp_policy_initial_counter": "otpPolicyInitialCounter",
}
_SCOPE_KEYS = {"name": "name", "description": "description", "protocol": "protocol"}
_CLIENT_KEYS = {
    "client_id": "clientId",
    "name": "name",
    "redirect_uris": "redirectUris",
    "allowed_origins": "webOrigins",
    "post_logout_redirect_uris": ("attributes", POST_LOGOUT_ATTRIBUTE),
    "client_secret": "hashedSecret",
}
_ROLE_KEYS = {"name": "name", "description": "description"}
_GROUP_KEYS = {"name": "name"}
_USER_KEYS = {
    "username": "username",
    "email": "email",
    "first_name": "firstName",
    "last_name": "lastName",
    "password": "credentials",
}

_KEYS = {
    Realm: _REALM_KEYS,
    ClientScope: _SCOPE_KEYS,
    Client: _CLIENT_KEYS,
    Role: _ROLE_KEYS,
    Group: _GROUP_KEYS,
    User: _USER_KEYS,
}

# (client_id or None for a realm role, role name) -> Role
_Roles = dict[tuple[str | None, str], Role]


def import_realm(spec: RealmSpec, *, overwrite: bool = False) -> Realm:
    """Create the realm of ``spec``; with ``overwrite``, replace a realm of that name."""
    with transaction.atomic():
        existing = Realm.objects.select_for_update().filter(name=spec.name).first()
        if existing is not None:
            if not overwrite:
                raise RealmExistsError("realm", f"realm {quote(spec.name)} already exists")
            if existing.name == MASTER_REALM:
                # Its console accounts (is_staff, is_superuser) are not in realm files.
                raise RealmFileError(
                    "realm", "the master realm holds the console accounts; it is never replaced"
                )
            existing.delete()
        realm = _write_realm(spec)
        scopes = _write_client_scopes(realm, spec)
        clients = {client.client_id: write_client(realm, client, scopes) for client in spec.clients}
        roles = _write_roles(realm, spec, clients)
        if spec.default_role is not None:
            realm.default_role = roles[None, spec.default_role]
            realm.save(update_fields=["default_role"])
        groups = _write_groups(realm, spec.groups, roles)
        for user in spec.users:
            _write_user(realm, user, roles, groups, clients)
    return realm


def checked(instance: models.Model, path: str = "") -> models.Model:
    """``instance`` once its fields pass the model's validation; else a RealmFileError naming
    the field as the file (or an admin API body) calls it."""
    return _checked(instance, path, _KEYS[type(instance)])


def _checked(instance: models.Model, path: str, keys: dict) -> models.Model:
    """``instance`` once its fields pass the model's validation; else the error at its path."""
    try:
        instance.clean_fields()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        where = path
        if field != NON_FIELD_ERRORS:
            steps = keys.get(field, field)
            for step in (steps,) if isinstance(steps, str) else steps:
                where = member(where, step)
        raise RealmFileError(where, " ".join(messages)) from None
    return instance


def realm_fields(spec: RealmSpec) -> dict:
    """The realm's settings as model field values."""
    return {
        "name": spec.name,
        "enabled": spec.enabled,
        "display_name": spec.display_name,
        "access_token_lifespan": spec.access_token_lifespan,
        "sso_session_idle_timeout": spec.sso_session_idle_timeout,
        "sso_session_max_lifespan": spec.sso_session_max_lifespan,
        "revoke_refresh_token": spec.revoke_refresh_token,
        "brute_force_protected": spec.brute_force_protected,
        "failure_factor": spec.failure_factor,
        "password_policy": spec.password_policy,
        "default_signature_algorithm": spec.default_signature_algorithm,
        "otp_policy_type": spec.otp_policy_type,
        "otp_policy_algorithm": spec.otp_policy_algorithm,
        "otp_policy_digits": spec.otp_policy_digits,
        "otp_policy_period": spec.otp_policy_period,
        "otp_policy_look_ahead_window": spec.otp_policy_look_ahead_window,
        "otp_policy_initial_counter": spec.otp_policy_initial_counter,
        "otp_required": spec.otp_required,
        "registration_allowed": spec.registration_allowed,
        "registration_email_as_username": spec.registration_email_as_username,
        "login_with_email_allowed": spec.login_with_email_allowed,
        "duplicate_emails_allowed": spec.duplicate_emails_allowed,
        "reset_password_allowed": spec.reset_password_allowed,
        "verify_email": spec.verify_email,
        "smtp_server": spec.smtp_server,
        "client_policies": spec.client_policies,
        "client_profiles": spec.client_profiles,
        "webauthn_policy": spec.webauthn_policy,
        "webauthn_policy_passwordless": spec.webauthn_policy_passwordless,
    } | (
        {"smtp_password_sealed": sealed.seal(spec.smtp_password) if spec.smtp_password else ""}
        if spec.smtp_password is not None
        else {}
    )


def _write_realm(spec: RealmSpec) -> Realm:
    realm = Realm(**realm_fields(spec))
    _checked(realm, "", _REALM_KEYS)
    try:
        with transaction.atomic():
            realm.save()
    except IntegrityError:
        # Another import created it since the check above.
        raise RealmExistsError("realm", f"realm {quote(spec.name)} already exists") from None
    return realm


def _write_client_scopes(realm: Realm, spec: RealmSpec) -> dict[str, ClientScope]:
    """All the realm's scopes by name: the built-in ones (made with the realm), updated where
    the file declares them, and the file's own."""
    scopes = {scope.name: scope for scope in for_realm(ClientScope, realm)}
    for scope_spec in spec.client_scopes:
        scope = scopes.get(scope_spec.name) or ClientScope(realm=realm, name=scope_spec.name)
        scope.description = scope_spec.description
        scope.protocol = scope_spec.protocol
        scope.protocol_mappers = list(scope_spec.protocol_mappers)
        _checked(scope, scope_spec.path, _SCOPE_KEYS).save()
        scopes[scope.name] = scope
    return scopes


def client_fields(spec: ClientSpec) -> dict:
    """The client's model field values; ``client_secret`` only when the spec gives one."""
    fields = {
        "client_id": spec.client_id,
        "name": spec.name,
        "enabled": spec.enabled,
        "client_type": Client.CLIENT_PUBLIC if spec.public else Client.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": (
            Client.GRANT_AUTHORIZATION_CODE
            if spec.standard_flow_enabled
            else Client.GRANT_CLIENT_CREDENTIALS
        ),
        "redirect_uris": " ".join(spec.redirect_uris),
        "allowed_origins": " ".join(spec.web_origins),
        "post_logout_redirect_uris": " ".join(spec.post_logout_redirect_uris),
        "pkce_method": spec.pkce_method,
        "standard_flow_enabled": spec.standard_flow_enabled,
        "service_accounts_enabled": spec.service_accounts_enabled,
        "consent_required": spec.consent_required,
        "attributes": spec.attributes | _keycloak_attributes(spec),
    }
    if spec.hashed_secret is not None:
        fields["client_secret"] = spec.hashed_secret
    elif spec.secret is not None:
        # Hashed here rather than by the field on save: the field stores as it is any value
        # that happens to look like a hash.
        fields["client_secret"] = credentials.hash_client_secret(spec.secret)
    elif spec.public:
        fields["client_secret"] = ""
    return fields


def _keycloak_attributes(spec: ClientSpec) -> dict:
    """Keycloak's client fields kept as attributes, where they differ from the default."""
    found = {}
    if spec.bearer_only:
        found[BEARER_ONLY_ATTRIBUTE] = "true"
    if spec.authenticator != CLIENT_SECRET_AUTHENTICATOR:
        found[AUTHENTICATOR_ATTRIBUTE] = spec.authenticator
    return found


def write_client(realm: Realm, spec: ClientSpec, scopes: dict[str, ClientScope]) -> Client:
    # The client the realm made for itself on creation (realm-management) takes the file's
    # settings and keeps its admin roles.
    client = for_realm(Client, realm).filter(client_id=spec.client_id).first() or Client(
        realm=realm
    )
    for name, value in client_fields(spec).items():
        setattr(client, name, value)
    _checked(client, spec.path, _CLIENT_KEYS).save()
    if spec.public:
        # The secret field hashes whatever it is given, even nothing; a public client has none.
        Client.objects.filter(pk=client.pk).update(client_secret="")
        client.client_secret = ""
    client.default_client_scopes.set([scopes[name] for name in spec.default_client_scopes])
    client.optional_client_scopes.set([scopes[name] for name in spec.optional_client_scopes])
    return client


def _write_roles(realm: Realm, spec: RealmSpec, clients: dict[str, Client]) -> _Roles:
    roles: _Roles = {}
    owners = [(None, spec.realm_roles)] + [
        (client_id, role_specs) for client_id, role_specs in spec.client_roles
    ]
    for client_id, role_specs in owners:
        client = clients[client_id] if client_id is not None else None
        for role_spec in role_specs:
            role = for_realm(Role, realm).filter(client=client, name=role_spec.name).first()
            role = role or Role(realm=realm, client=client, name=role_spec.name)
            role.description = role_spec.description
            _checked(role, role_spec.path, _ROLE_KEYS).save()
            roles[client_id, role.name] = role
    # The realm's admin roles, which a file may map without declaring them.
    for role in for_realm(Role, realm).filter(client__client_id=keycloak.REALM_MANAGEMENT):
        roles.setdefault((keycloak.REALM_MANAGEMENT, role.name), role)
    # Composites once every role exists: a composite may contain one declared after it.
    for client_id, role_specs in owners:
        for role_spec in role_specs:
            contained = _mapped_roles(
                roles, role_spec.composite_realm_roles, role_spec.composite_client_roles
            )
            if contained:
                roles[client_id, role_spec.name].composites.set(contained)
    return roles


def _mapped_roles(roles: _Roles, realm_roles, client_roles) -> list[Role]:
    found = [roles[None, name] for name in realm_roles]
    for client_id, names in client_roles:
        found += [roles[client_id, name] for name in names]
    return found


def _write_groups(
    realm: Realm,
    specs: tuple[GroupSpec, ...],
    roles: _Roles,
    *,
    parent: Group | None = None,
    prefix: str = "",
) -> dict[str, Group]:
    """The groups by Keycloak path ("/parent/child")."""
    groups: dict[str, Group] = {}
    for spec in specs:
        group = Group(realm=realm, parent=parent, name=spec.name)
        _checked(group, spec.path, _GROUP_KEYS).save()
        group.roles.set(_mapped_roles(roles, spec.realm_roles, spec.client_roles))
        path = f"{prefix}/{spec.name}"
        groups[path] = group
        groups |= _write_groups(realm, spec.sub_groups, roles, parent=group, prefix=path)
    return groups


def _write_user(
    realm: Realm,
    spec: UserSpec,
    roles: _Roles,
    groups: dict[str, Group],
    clients: dict[str, Client],
) -> User:
    user = User(
        realm=realm,
        username=spec.username,
        email=spec.email,
        email_verified=spec.email_verified,
        first_name=spec.first_name,
        last_name=spec.last_name,
        is_active=spec.enabled,
        required_actions=required_actions.stored(spec.required_actions),
    )
    password = spec.password
    if password is None:
        user.set_unusable_password()
    elif password.encoded is not None:
        user.password = password.encoded
    else:
        # As in Keycloak's import, the realm's password policy does not apply here.
        user.set_password(password.plain)
    user.password_temporary = password is not None and password.temporary
    if spec.subject is not None:
        # The file's own ids are checked by the reader; an old realm being replaced is gone.
        if User.objects.filter(subject=spec.subject).exists():
            raise RealmFileError(
                member(spec.path, "id"), "another realm already has a user with this id"
            )
        user.subject = spec.subject
    _checked(user, spec.path, _USER_KEYS).save()
    user.roles.set(_mapped_roles(roles, spec.realm_roles, spec.client_roles))
    user.realm_groups.set([groups[path] for path in spec.groups])
    for otp in spec.otp:
        otp_credentials.device(user, otp).save()
    for passkey in spec.passkeys:
        webauthn_credentials.passkey(user, passkey).save()
    if spec.service_account_client_id is not None:
        client = clients[spec.service_account_client_id]
        # An update, not a save: saving would run the secret field's hashing again.
        Client.objects.filter(pk=client.pk).update(service_account=user)
        client.service_account = user
    return user
