"""Realms and what they own: users, roles, groups, client scopes, SSO sessions.

Clients live in ``authserver`` (they are django-oauth-toolkit applications); this app refers to
them only through the swappable ``OAUTH2_PROVIDER_APPLICATION_MODEL`` setting, never by import.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from accounts.managers import UserManager

REALM_NAME = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$",
    "Letters, digits, '.', '_' and '-'; starting with a letter or digit.",
)
MASTER_REALM = "master"


class OTPType(models.TextChoices):
    TOTP = "totp", "TOTP (time-based)"
    HOTP = "hotp", "HOTP (counter-based)"


class OTPAlgorithm(models.TextChoices):
    SHA1 = "HmacSHA1", "SHA-1"
    SHA256 = "HmacSHA256", "SHA-256"
    SHA512 = "HmacSHA512", "SHA-512"


class Realm(models.Model):
    """A tenant: its own issuer, keys, users, roles, scopes and clients (Keycloak's realm)."""

    class SignatureAlgorithm(models.TextChoices):
        RS256 = "RS256"
        ES256 = "ES256"
        # RSASSA-PSS (RFC 7518 §3.5): what FAPI 2.0 asks of RSA signatures.
        PS256 = "PS256"

    name = models.CharField(max_length=100, unique=True, validators=[REALM_NAME])
    enabled = models.BooleanField(default=True)
    display_name = models.CharField(max_length=255, blank=True)
    access_token_lifespan = models.PositiveIntegerField(default=300, help_text="Seconds.")
    sso_session_idle_timeout = models.PositiveIntegerField(default=1800, help_text="Seconds.")
    sso_session_max_lifespan = models.PositiveIntegerField(default=36000, help_text="Seconds.")
    revoke_refresh_token = models.BooleanField(default=False)
    brute_force_protected = models.BooleanField(default=False)
    failure_factor = models.PositiveIntegerField(default=30)
    password_policy = models.CharField(max_length=500, blank=True)
    default_signature_algorithm = models.CharField(
        max_length=10, choices=SignatureAlgorithm.choices, default=SignatureAlgorithm.RS256
    )
    exact_redirect_uris = models.BooleanField(
        "exact redirect URIs only",
        default=False,
        help_text="Ignore the wildcards (a trailing *) of clients imported from Keycloak: every "
        "redirect URI must match a registered one exactly (RFC 9700 §4.1.3).",
    )
    # Keycloak's OTP policy: what an authenticator enrolled in this realm computes (RFC 6238
    # TOTP, or RFC 4226 HOTP), and how far from the expected code a login may look.
    otp_policy_type = models.CharField(
        max_length=4, choices=OTPType.choices, default=OTPType.TOTP, verbose_name="OTP type"
    )
    otp_policy_algorithm = models.CharField(
        max_length=12,
        choices=OTPAlgorithm.choices,
        default=OTPAlgorithm.SHA1,
        verbose_name="OTP hash algorithm",
    )
    otp_policy_digits = models.PositiveSmallIntegerField(
        choices=[(6, "6"), (8, "8")], default=6, verbose_name="OTP digits"
    )
    otp_policy_period = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        verbose_name="OTP period",
        help_text="Seconds a TOTP code lasts.",
    )
    otp_policy_look_ahead_window = models.PositiveIntegerField(
        default=1,
        validators=[MaxValueValidator(20)],
        verbose_name="OTP look-around window",
        help_text="Codes this many periods (TOTP) or counters (HOTP) away are accepted too.",
    )
    otp_policy_initial_counter = models.PositiveIntegerField(
        default=0, verbose_name="HOTP initial counter"
    )
    otp_required = models.BooleanField(
        "OTP required",
        default=False,
        help_text="Every user signs in with a one-time code; one without an authenticator "
        "enrols one at the next login.",
    )
    registration_allowed = models.BooleanField(
        "user registration", default=False, help_text="The login page offers self-registration."
    )
    registration_email_as_username = models.BooleanField(
        "e-mail as username",
        default=False,
        help_text="A registering user's username is the address.",
    )
    login_with_email_allowed = models.BooleanField(
        "login with e-mail",
        default=True,
        help_text="A user may sign in (and ask for a forgotten password) with the e-mail "
        "address instead of the username; not while duplicate e-mails are allowed.",
    )
    duplicate_emails_allowed = models.BooleanField(
        "duplicate e-mails",
        default=False,
        help_text="Several users may share an e-mail address (then nobody signs in with one).",
    )
    reset_password_allowed = models.BooleanField(
        "forgot password", default=False, help_text="The login page offers a reset by e-mail."
    )
    verify_email = models.BooleanField(
        default=False, help_text="Users verify their e-mail address at their next login."
    )
    # Keycloak's smtpServer (host, port, from, fromDisplayName, replyTo, ssl, starttls, auth,
    # user), without its password, which is kept sealed (accounts.sealed) below.
    smtp_server = models.JSONField("SMTP server", default=dict, blank=True)
    smtp_password_sealed = models.TextField(blank=True)
    # Keycloak's WebAuthn policies (webAuthnPolicy*, webAuthnPolicyPasswordless*), by the names
    # after the prefix; absent settings take Keycloak's defaults (accounts.webauthn_policy).
    webauthn_policy = models.JSONField("WebAuthn policy", default=dict, blank=True)
    webauthn_policy_passwordless = models.JSONField(
        "WebAuthn passwordless policy", default=dict, blank=True
    )
    # Keycloak's default role (``default-roles-<realm>``, a composite): every new user gets it.
    default_role = models.ForeignKey(
        "Role", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Keycloak's client policies and the realm's own client profiles, as its realm
    # representation writes them ({"policies": [...]}, {"profiles": [...]}); what they require of
    # a client is authserver.protocol.client_policies' to say.
    client_policies = models.JSONField(default=dict, blank=True)
    client_profiles = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def title(self) -> str:
        return self.display_name or self.name

    @property
    def email_login(self) -> bool:
        """Whether an e-mail address names a user at this realm's login: never while two
        users may share one, as in Keycloak (accounts.login_names)."""
        return self.login_with_email_allowed and not self.duplicate_emails_allowed

    @property
    def issuer(self) -> str:
        return f"{settings.AUTHSERVER_URL}/realms/{self.name}"


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or a client's service account) in one realm. Usernames are unique per realm."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="users")
    # The token subject (``sub``): stable, opaque, never reused (Keycloak's user id).
    subject = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    username = models.CharField(max_length=255)
    email = models.EmailField(blank=True)
    email_verified = models.BooleanField(default=False)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField("enabled", default=True)
    is_staff = models.BooleanField(
        "console access", default=False, help_text="May log in to the admin console."
    )
    password_temporary = models.BooleanField(
        default=False, help_text="The user must choose a new password at the next login."
    )
    # Keycloak's required actions other than UPDATE_PASSWORD (which is password_temporary):
    # CONFIGURE_TOTP, VERIFY_EMAIL, UPDATE_PROFILE, TERMS_AND_CONDITIONS, webauthn-register,
    # webauthn-register-passwordless: done at the next login.
    required_actions = models.JSONField(default=list, blank=True)
    failed_logins = models.PositiveIntegerField(default=0)
    last_failed_login = models.DateTimeField(null=True, blank=True)
    roles = models.ManyToManyField("Role", blank=True, related_name="users")
    realm_groups = models.ManyToManyField("Group", blank=True, related_name="members")
    # Console operators (master realm) who are not superusers administer only these realms.
    administered_realms = models.ManyToManyField(
        Realm,
        blank=True,
        related_name="administrators",
        help_text="Realms this console user administers (superusers administer every realm).",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["realm", "username"], name="unique_username_per_realm")
        ]
        ordering = ["realm", "username"]

    def __str__(self):
        return self.username

    def natural_key(self):
        return (self.realm.name, self.username)

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.username


class Role(models.Model):
    """A realm role (no client) or a client role (Keycloak's two kinds)."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="roles")
    client = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roles",
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    # Keycloak's composite role: holding it is holding these too, and theirs in turn.
    composites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="composite_of"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["realm", "name"],
                condition=Q(client__isnull=True),
                name="unique_realm_role_name",
            ),
            models.UniqueConstraint(
                fields=["client", "name"],
                condition=Q(client__isnull=False),
                name="unique_client_role_name",
            ),
        ]
        ordering = ["realm", "client", "name"]

    def __str__(self):
        return f"{self.client.client_id}/{self.name}" if self.client_id else self.name


class Group(models.Model):
    """A realm group: nested, carrying role mappings that its members inherit."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="groups")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=255)
    roles = models.ManyToManyField(Role, blank=True, related_name="groups")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["realm", "name"],
                condition=Q(parent__isnull=True),
                name="unique_top_level_group_name",
            ),
            models.UniqueConstraint(
                fields=["parent", "name"],
                condition=Q(parent__isnull=False),
                name="unique_subgroup_name",
            ),
        ]
        ordering = ["realm", "name"]

    def __str__(self):
        return self.path

    @property
    def path(self) -> str:
        """Keycloak's group path: /parent/child."""
        names, group = [], self
        while group is not None:
            names.append(group.name)
            group = group.parent
        return "/" + "/".join(reversed(names))


class ClientScope(models.Model):
    """An OAuth scope with its description and protocol mappers (e.g. the audience it adds)."""

    BUILT_IN = {
        "openid": "Sign in with OpenID Connect",
        "profile": "Your name and username",
        "email": "Your email address",
        "roles": "Your roles",
        "offline_access": "Access while you are signed out",
    }
    AUDIENCE_MAPPER = "oidc-audience-mapper"
    # Keycloak's audience mapper config: a client of the realm (its client id), which wins, or
    # any custom audience.
    AUDIENCE_KEYS = ("included.client.audience", "included.custom.audience")

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="client_scopes")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    protocol = models.CharField(max_length=50, default="openid-connect")
    protocol_mappers = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["realm", "name"], name="unique_scope_name_per_realm")
        ]
        ordering = ["realm", "name"]

    def __str__(self):
        return self.name

    @property
    def audiences(self) -> list[str]:
        found = []
        for mapper in self.protocol_mappers:
            if mapper.get("protocolMapper") != self.AUDIENCE_MAPPER:
                continue
            config = mapper.get("config") or {}
            audience = next(
                (config.get(key) for key in self.AUDIENCE_KEYS if config.get(key)), None
            )
            if audience:
                found.append(audience)
        return found


class UserSession(models.Model):
    """A browser's SSO session in one realm. The cookie holds a secret; only its hash is kept."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="sessions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    sid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True)
    started = models.DateTimeField()
    last_seen = models.DateTimeField()
    ended = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # RFC 8176 authentication method references of the login that started it: "pwd", "otp".
    amr = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        indexes = [
            models.Index(fields=["realm", "user"]),
            # The sessions that expire without a logout are found through these (sessions.py,
            # end_expired): the live sessions of a realm by idleness and by age.
            models.Index(
                fields=["realm", "last_seen"],
                condition=Q(ended__isnull=True),
                name="session_live_last_seen",
            ),
            models.Index(
                fields=["realm", "started"],
                condition=Q(ended__isnull=True),
                name="session_live_started",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.sid}"

    def is_live(self, now) -> bool:
        if self.ended is not None:
            return False
        realm = self.realm
        idle = (now - self.last_seen).total_seconds()
        age = (now - self.started).total_seconds()
        return idle < realm.sso_session_idle_timeout and age < realm.sso_session_max_lifespan


class Event(models.Model):
    """The audit log: user events (logins, token failures) and admin events (every change made
    in the console or the admin API, with the object before and after). Read-only once written.
    """

    class Category(models.TextChoices):
        USER = "user"
        ADMIN = "admin"

    realm = models.ForeignKey(
        Realm, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    category = models.CharField(max_length=10, choices=Category.choices)
    # Keycloak's event types: LOGIN, LOGIN_ERROR, LOGOUT, CODE_TO_TOKEN_ERROR, ...; for admin
    # events the operation: CREATE, UPDATE, DELETE, ACTION.
    type = models.CharField(max_length=40, db_index=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=255, blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    error = models.CharField(max_length=100, blank=True)
    resource_type = models.CharField(max_length=50, blank=True)
    resource_path = models.CharField(max_length=500, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["realm", "category", "-created"])]

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.type} {self.username}".strip()


class OTPDevice(Device):
    """A realm user's authenticator (Keycloak's ``otp`` credential): a TOTP or HOTP secret,
    sealed at rest (accounts.sealed), with the policy it was enrolled under. ``name`` (the
    user's label for it) and ``confirmed`` are django-otp's; an unconfirmed one is an
    enrolment not yet finished."""

    kind = models.CharField(max_length=4, choices=OTPType.choices, default=OTPType.TOTP)
    secret_sealed = models.TextField(help_text="The shared secret, a JWE under the server key.")
    algorithm = models.CharField(
        max_length=12, choices=OTPAlgorithm.choices, default=OTPAlgorithm.SHA1
    )
    digits = models.PositiveSmallIntegerField(default=6)
    period = models.PositiveIntegerField(default=30)
    # HOTP: the next counter expected. TOTP: the last time step a code was accepted for, so that
    # a code is never accepted twice (RFC 6238 section 5.2).
    counter = models.BigIntegerField(default=0)
    last_step = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OTP authenticator"
        ordering = ["user", "created"]


class RecoveryCode(models.Model):
    """A single-use code that stands in for the one-time code when the authenticator is lost.
    Only its SHA-256 is kept (the codes are random, about 50 bits)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    used = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self):
        return f"{self.user} recovery code ({'used' if self.used else 'unused'})"


class ActionToken(models.Model):
    """A single-use, short-lived link sent by e-mail (Keycloak's action tokens): reset the
    password, verify the address, confirm a new address. Only its SHA-256 is kept."""

    class Kind(models.TextChoices):
        RESET_PASSWORD = "reset-password"
        VERIFY_EMAIL = "verify-email"
        UPDATE_EMAIL = "update-email"
        EXECUTE_ACTIONS = "execute-actions"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="action_tokens")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    # The address the link was sent to: a verification holds only for it.
    email = models.EmailField()
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    used = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.kind} for {self.user}"


class Passkey(models.Model):
    """A realm user's WebAuthn credential: Keycloak's ``webauthn`` (a second factor after the
    password) or ``webauthn-passwordless`` (signs in alone, found by its id). Its public key,
    never a secret. A credential id is one user's only within a realm (accounts.passkeys)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=64)
    passwordless = models.BooleanField(default=False)
    # The credential id, base64url without padding, as the browser names it.
    credential_id = models.CharField(max_length=1400, db_index=True)
    # The COSE key, as the authenticator gave it.
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    # What the authenticator said of itself: its model (AAGUID), the attestation statement's
    # format, how it is reached (usb, nfc, ble, internal, hybrid), and whether the credential
    # may be copied to the user's other devices (a synced passkey: RFC 8176's "swk").
    aaguid = models.CharField(max_length=36, blank=True)
    attestation_format = models.CharField(max_length=32, blank=True)
    transports = models.JSONField(default=list, blank=True)
    backup_eligible = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "created"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "credential_id"], name="unique_credential_per_user"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.user})"


class OutgoingMail(models.Model):
    """A message to a realm's user waiting to be sent: the mail outbox. Written in the
    request's transaction and sent after it commits, off the request's thread (accounts.mail),
    so that no answer waits on an SMTP server or tells by its time whether it sent anything.
    The message is sealed at rest (it may carry a link that resets a password), and the row is
    deleted once it is sent."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="+")
    message_sealed = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    # When it may be tried next; a sender pushes it ahead while it sends (its lease).
    next_attempt = models.DateTimeField()
    given_up = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt"],
                condition=Q(given_up__isnull=True),
                name="outgoing_mail_due",
            )
        ]

    def __str__(self):
        return f"Mail of {self.realm} ({self.attempts} attempt(s))"


class ConsoleTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A console account's authenticator (``manage.py console_totp``): RFC 6238 TOTP as
    django-otp's TOTPDevice computes it (HMAC-SHA1, ``step`` seconds, ``digits`` digits, codes
    ``tolerance`` steps away accepted, each step once), with its key sealed at rest as realm
    users' seeds are (accounts.sealed), where TOTPDevice keeps it in clear. Failed codes slow
    the next tries (django-otp's throttling). The checking is accounts.console_otp's."""

    # The key's hex, sealed: a compact JWE.
    key_sealed = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, "6"), (8, "8")], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    # The time step of the last code accepted: a code is accepted once.
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "console two-factor device"

    def verify_token(self, token) -> bool:
        # django-otp's interface; imported here, as the module imports this one.
        from accounts import console_otp

        return console_otp.verify(self, token)

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)
