"""The plain values a realm file is read into: checked, complete, and free of the database.

Field names in files are Keycloak's (``clientId``, ``realmRoles``, ...); these values use the
models' words. Each value that becomes a row keeps ``path``, the JSON path it was read from, so
that a problem found only when writing it can still be reported where it is in the file.

How the file maps onto the models:

- the realm's settings are the snake_case fields of ``accounts.Realm``;
- ``publicClient`` picks the client type; ``standardFlowEnabled`` picks the authorization-code
  grant, otherwise the client-credentials grant; the attributes ``pkce.code.challenge.method``
  and ``post.logout.redirect.uris`` (``##``-separated) become fields, other attributes are kept
  as given;
- a client's secret is given in clear (``secret``) or as a stored hash (``hashedSecret``); a
  user's password likewise (``value`` or ``hashedValue``), or in Keycloak's own export format
  (``secretData`` and ``credentialData``). Passwords are never checked against the realm's
  password policy on import, as in Keycloak;
- a user's ``id`` is the token subject (``sub``), so relying parties know the user after a move;
- a user's ``otp`` credentials carry Keycloak's ``secretData`` and ``credentialData``; the
  secret is sealed on import (accounts.sealed) and unsealed on export, as Keycloak exports it;
- a user's ``webauthn`` and ``webauthn-passwordless`` credentials (passkeys) carry Keycloak's
  ``credentialData``: the credential id and public key, kept as they are; a malformed one, or
  one whose credential id another user of the file has, is skipped with a warning;
- the realm's ``webAuthnPolicy*`` and ``webAuthnPolicyPasswordless*`` fields are Keycloak's,
  kept as two dicts by the names after the prefix (accounts.webauthn_policy);
- the realm's ``otpPolicy*`` fields are Keycloak's; ``otpRequired`` is this server's own (in
  Keycloak a browser flow with a required OTP form says it);
- built-in client scopes (``ClientScope.BUILT_IN``) exist in every realm without being declared.
"""

import uuid
from dataclasses import dataclass, field

# Client attributes that are model fields here; other attributes are kept as given.
PKCE_ATTRIBUTE = "pkce.code.challenge.method"
POST_LOGOUT_ATTRIBUTE = "post.logout.redirect.uris"


@dataclass(frozen=True)
class RoleSpec:
    path: str
    name: str
    description: str = ""
    # Keycloak's composite role: the realm roles and client roles it contains.
    composite_realm_roles: tuple[str, ...] = ()
    composite_client_roles: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class GroupSpec:
    path: str
    name: str
    realm_roles: tuple[str, ...] = ()
    # Client roles by client: ((client_id, (role name, ...)), ...), in file order.
    client_roles: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sub_groups: tuple["GroupSpec", ...] = ()


@dataclass(frozen=True)
class ClientScopeSpec:
    path: str
    name: str
    description: str = ""
    protocol: str = "openid-connect"
    # Whole mapper objects: {"name", "protocol", "protocolMapper", "config"}.
    protocol_mappers: tuple[dict, ...] = ()


@dataclass(frozen=True)
class ClientSpec:
    path: str
    client_id: str
    name: str = ""
    enabled: bool = True
    public: bool = False
    # A confidential client has exactly one of these; a public client neither.
    secret: str | None = None
    hashed_secret: str | None = None
    # ``secret`` was made on reading (the file's was masked or absent): shown once to the
    # operator.
    generated_secret: bool = False
    bearer_only: bool = False
    # Keycloak's clientAuthenticatorType: "client-secret", "client-jwt", ...
    authenticator: str = "client-secret"
    redirect_uris: tuple[str, ...] = ()
    web_origins: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    pkce_method: str = ""
    standard_flow_enabled: bool = True
    service_accounts_enabled: bool = False
    consent_required: bool = False
    default_client_scopes: tuple[str, ...] = ()
    optional_client_scopes: tuple[str, ...] = ()
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PasswordSpec:
    """Exactly one of ``plain`` (hashed on import) and ``encoded`` (a Django password hash)."""

    plain: str | None = None
    encoded: str | None = None
    temporary: bool = False


@dataclass(frozen=True)
class OTPSpec:
    """Keycloak's ``otp`` credential: the secret as Keycloak keeps it (the HMAC key's text),
    and the policy it was enrolled under."""

    secret: str
    kind: str = "totp"
    algorithm: str = "HmacSHA1"
    digits: int = 6
    period: int = 30
    counter: int = 0
    label: str = ""
    created_ms: int | None = None


@dataclass(frozen=True)
class PasskeySpec:
    """Keycloak's ``webauthn`` or ``webauthn-passwordless`` credential: the credential id
    (base64url), the COSE public key, and what the authenticator said of itself."""

    credential_id: str
    public_key: bytes
    sign_count: int = 0
    aaguid: str = ""
    attestation_format: str = ""
    transports: tuple[str, ...] = ()
    passwordless: bool = False
    label: str = ""
    created_ms: int | None = None


@dataclass(frozen=True)
class UserSpec:
    path: str
    username: str
    # Keycloak's user id, kept as the token subject (``sub``) so that it survives a move; a new
    # one is made when absent.
    subject: uuid.UUID | None = None
    email: str = ""
    email_verified: bool = False
    first_name: str = ""
    last_name: str = ""
    enabled: bool = True
    password: PasswordSpec | None = None
    realm_roles: tuple[str, ...] = ()
    client_roles: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Keycloak group paths, each with its leading slash: "/parent/child".
    groups: tuple[str, ...] = ()
    service_account_client_id: str | None = None
    # Keycloak's required actions; UPDATE_PASSWORD is also in ``password.temporary``.
    required_actions: tuple[str, ...] = ()
    otp: tuple[OTPSpec, ...] = ()
    passkeys: tuple[PasskeySpec, ...] = ()


@dataclass(frozen=True)
class RealmSpec:
    """The realm's settings (absent ones were given the model's defaults) and what it owns."""

    name: str
    enabled: bool
    display_name: str
    access_token_lifespan: int
    sso_session_idle_timeout: int
    sso_session_max_lifespan: int
    revoke_refresh_token: bool
    brute_force_protected: bool
    failure_factor: int
    password_policy: str
    default_signature_algorithm: str
    otp_policy_type: str = "totp"
    otp_policy_algorithm: str = "HmacSHA1"
    otp_policy_digits: int = 6
    otp_policy_period: int = 30
    otp_policy_look_ahead_window: int = 1
    otp_policy_initial_counter: int = 0
    otp_required: bool = False
    registration_allowed: bool = False
    registration_email_as_username: bool = False
    login_with_email_allowed: bool = True
    duplicate_emails_allowed: bool = False
    reset_password_allowed: bool = False
    verify_email: bool = False
    # Keycloak's smtpServer without its password; the password in clear, None when the file
    # gave none or Keycloak's mask (an update then keeps the current one).
    smtp_server: dict = field(default_factory=dict)
    smtp_password: str | None = None
    # Keycloak's clientPolicies and clientProfiles (the realm's own), checked, as given.
    client_policies: dict = field(default_factory=dict)
    client_profiles: dict = field(default_factory=dict)
    # Keycloak's webAuthnPolicy* and webAuthnPolicyPasswordless*, by the names after the prefix.
    webauthn_policy: dict = field(default_factory=dict)
    webauthn_policy_passwordless: dict = field(default_factory=dict)
    realm_roles: tuple[RoleSpec, ...] = ()
    # The realm role every new user is given (Keycloak's defaultRole), by name.
    default_role: str | None = None
    # Client roles by client: ((client_id, (RoleSpec, ...)), ...), in file order.
    client_roles: tuple[tuple[str, tuple[RoleSpec, ...]], ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    client_scopes: tuple[ClientScopeSpec, ...] = ()
    clients: tuple[ClientSpec, ...] = ()
    users: tuple[UserSpec, ...] = ()
