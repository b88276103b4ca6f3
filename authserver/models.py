"""django-oauth-toolkit's models, swapped in so that every client and token belongs to a realm.

The client carries Keycloak's client fields; token models are swapped now (not later) because
changing a swappable model after the first migration is painful.
"""

import re
import uuid

from django.conf import settings
from django.db import models, transaction
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)

from accounts.models import ClientScope, Realm, User, UserSession
from authserver import redirect_uris

SERVICE_ACCOUNT_PREFIX = "service-account-"
# Client attributes a Keycloak realm file sets: its ``bearerOnly``, and its
# ``clientAuthenticatorType`` when that is not the default ``client-secret``.
BEARER_ONLY_ATTRIBUTE = "bearer.only"
AUTHENTICATOR_ATTRIBUTE = "client.authenticator.type"
CLIENT_SECRET_AUTHENTICATOR = "client-secret"
# private_key_jwt only: the client's secret is refused.
CLIENT_JWT_AUTHENTICATOR = "client-jwt"
# Mutual TLS (RFC 8705 §2): Keycloak's X.509 authenticator (tls_client_auth: a certificate of a
# trusted CA with the registered subject), and a certificate registered with the client itself
# (self_signed_tls_client_auth, which Keycloak does not have).
X509_AUTHENTICATOR = "client-x509"
SELF_SIGNED_X509_AUTHENTICATOR = "client-self-signed-x509"
CERTIFICATE_AUTHENTICATORS = (X509_AUTHENTICATOR, SELF_SIGNED_X509_AUTHENTICATOR)
# Keycloak's switch for certificate-bound access tokens (RFC 8705 §3).
CERTIFICATE_BOUND_TOKENS_ATTRIBUTE = "tls.client.certificate.bound.access.tokens"
# Keycloak's ``directAccessGrantsEnabled`` (the password grant), kept as a client attribute.
DIRECT_ACCESS_ATTRIBUTE = "direct.access.grants.enabled"
# OpenID Connect Front-Channel and Back-Channel Logout, in Keycloak's words: its client field
# ``frontchannelLogout`` (kept as an attribute, as ``directAccessGrantsEnabled`` is) and its
# attributes. A URI is told of a logout only when set; ``sid`` (and ``iss``) go with it unless
# its session-required attribute is ``false`` (Keycloak's default is true).
FRONTCHANNEL_LOGOUT_ATTRIBUTE = "frontchannel.logout"
FRONTCHANNEL_URL_ATTRIBUTE = "frontchannel.logout.url"
FRONTCHANNEL_SESSION_ATTRIBUTE = "frontchannel.logout.session.required"
BACKCHANNEL_URL_ATTRIBUTE = "backchannel.logout.url"
BACKCHANNEL_SESSION_ATTRIBUTE = "backchannel.logout.session.required"
LOGOUT_URL_ATTRIBUTES = (FRONTCHANNEL_URL_ATTRIBUTE, BACKCHANNEL_URL_ATTRIBUTE)
WILDCARD = "*"
# Keycloak's web origins that stand for others: the redirect URIs' origins, and any origin.
KEYCLOAK_ORIGINS = ("+", WILDCARD)


def service_account_username(client_id: str) -> str:
    """Keycloak's name for a client's service-account user."""
    return (SERVICE_ACCOUNT_PREFIX + client_id)[:255]


class Client(AbstractApplication):
    """An OAuth client of one realm; ``client_id`` is unique within its realm, as in Keycloak."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=255, db_index=True, verbose_name="client ID")
    enabled = models.BooleanField(default=True)
    standard_flow_enabled = models.BooleanField(
        default=True, help_text="Authorization-code flow (browser logins)."
    )
    service_accounts_enabled = models.BooleanField(
        default=False, help_text="Client-credentials grant with a service-account user."
    )
    consent_required = models.BooleanField(default=False)
    pkce_method = models.CharField(
        "PKCE method",
        max_length=10,
        blank=True,
        default="S256",
        help_text="S256 to require PKCE; empty to make it optional for confidential clients.",
    )
    default_client_scopes = models.ManyToManyField(
        ClientScope, blank=True, related_name="default_for_clients"
    )
    optional_client_scopes = models.ManyToManyField(
        ClientScope, blank=True, related_name="optional_for_clients"
    )
    service_account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_account_client",
    )
    attributes = models.JSONField(
        default=dict, blank=True, help_text="Other Keycloak client attributes, kept as given."
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["realm", "client_id"], name="unique_client_id_per_realm"
            )
        ]
        ordering = ["realm", "client_id"]

    def __str__(self):
        return self.client_id

    def clean(self):
        # Keycloak's "+" and "*" web origins are no URIs, which the toolkit's check is for.
        origins = self.allowed_origins
        self.allowed_origins = " ".join(o for o in origins.split() if o not in KEYCLOAK_ORIGINS)
        try:
            super().clean()
        finally:
            self.allowed_origins = origins

    @property
    def is_public(self) -> bool:
        return self.client_type == self.CLIENT_PUBLIC

    @property
    def has_wildcard_redirect_uris(self) -> bool:
        return any(uri.endswith(WILDCARD) for uri in self.redirect_uris.split())

    @property
    def allows_any_origin(self) -> bool:
        """Keycloak's ``*`` web origin, which only a realm file brings in."""
        return WILDCARD in self.allowed_origins.split()

    @property
    def bearer_only(self) -> bool:
        """Keycloak's bearer-only client: it holds roles and is an audience, never issued a
        token."""
        return self.attributes.get(BEARER_ONLY_ATTRIBUTE) == "true"

    @property
    def direct_access_grants_enabled(self) -> bool:
        """Whether the client may use the password grant (off unless turned on)."""
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        return str(attributes.get(DIRECT_ACCESS_ATTRIBUTE, "false")).lower() == "true"

    @property
    def frontchannel_logout(self) -> bool:
        """Keycloak's ``frontchannelLogout``: the browser is sent to the front-channel URL."""
        return _attribute(self, FRONTCHANNEL_LOGOUT_ATTRIBUTE, "false").lower() == "true"

    @property
    def frontchannel_logout_url(self) -> str:
        """Where the browser is sent when a session of this client ends; "" when nowhere."""
        return _attribute(self, FRONTCHANNEL_URL_ATTRIBUTE) if self.frontchannel_logout else ""

    @property
    def frontchannel_logout_session_required(self) -> bool:
        return _attribute(self, FRONTCHANNEL_SESSION_ATTRIBUTE, "true").lower() != "false"

    @property
    def backchannel_logout_url(self) -> str:
        """Where a logout token is POSTed when a session of this client ends; "" when nowhere."""
        return _attribute(self, BACKCHANNEL_URL_ATTRIBUTE)

    @property
    def backchannel_logout_session_required(self) -> bool:
        return _attribute(self, BACKCHANNEL_SESSION_ATTRIBUTE, "true").lower() != "false"

    @property
    def authenticator(self) -> str:
        """Keycloak's ``clientAuthenticatorType``: how the client proves who it is.
        ``client-secret`` (the default) also takes private_key_jwt when the client has keys;
        ``client-jwt`` takes private_key_jwt only; any other type, nothing here."""
        return self.attributes.get(AUTHENTICATOR_ATTRIBUTE, CLIENT_SECRET_AUTHENTICATOR)

    @property
    def accepts_secret(self) -> bool:
        return self.authenticator == CLIENT_SECRET_AUTHENTICATOR

    @property
    def accepts_assertion(self) -> bool:
        return self.authenticator in (CLIENT_SECRET_AUTHENTICATOR, CLIENT_JWT_AUTHENTICATOR)

    @property
    def accepts_certificate(self) -> bool:
        """Whether the client authenticates with its TLS certificate (RFC 8705 §2)."""
        return self.authenticator in CERTIFICATE_AUTHENTICATORS

    @property
    def binds_certificate(self) -> bool:
        """Whether its tokens are bound to its TLS certificate (RFC 8705 §3)."""
        return self.attributes.get(CERTIFICATE_BOUND_TOKENS_ATTRIBUTE) == "true"

    def create_service_account(self) -> User:
        """Keycloak's service-account-CLIENT user, the subject of client-credentials tokens; it
        signs in with the client's credentials only. A user who already has the name is never
        taken over: callers refuse first (``service_account_username``)."""
        user = User(realm=self.realm, username=service_account_username(self.client_id))
        user.set_unusable_password()
        with transaction.atomic():
            user.save()
            # An update, not a save: saving would run the secret field's hashing again.
            Client.objects.filter(pk=self.pk).update(service_account=user)
        self.service_account = user
        return user

    def get_allowed_schemes(self) -> list[str]:
        """The schemes django-oauth-toolkit's ``clean`` accepts in redirect URIs: the web's,
        and the private-use schemes (RFC 8252 §7.1) this client registers, which
        ``redirect_uris.problem`` judges where they are entered."""
        private = {
            redirect_uris.scheme_of(uri)
            for uri in self.redirect_uris.split()
            if redirect_uris.is_private_use(uri)
        }
        return [*redirect_uris.WEB_SCHEMES, *sorted(private)]

    def redirect_uri_allowed(self, uri: str) -> bool:
        """Simple string comparison with a registered URI (OIDC Core §3.1.2.1, RFC 9700 §2.1).

        One exception, RFC 8252 §7.3: a native (public) client's loopback IP redirect URI
        matches on any port, since the app listens on whichever port the system gives it.
        """
        registered = self.redirect_uris.split()
        if uri in registered:
            return True
        wildcards = [candidate for candidate in registered if candidate.endswith(WILDCARD)]
        # The realm is read only for a client with wildcards.
        if (
            wildcards
            and not self.realm.exact_redirect_uris
            and any(_wildcard_match(uri, candidate) for candidate in wildcards)
        ):
            return True
        if not self.is_public:
            return False
        return any(_same_loopback_uri(uri, candidate) for candidate in registered)


def _attribute(client: Client, name: str, default: str = "") -> str:
    attributes = client.attributes if isinstance(client.attributes, dict) else {}
    value = attributes.get(name, default)
    return value if isinstance(value, str) else str(value or default)


# RFC 8252 §7.3: loopback IP literals only; "localhost" is NOT RECOMMENDED (§8.3) and gets no
# port exemption.
_LOOPBACK_URI = re.compile(r"http://(127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?([/?][^#]*)?", re.ASCII)


def _wildcard_match(requested: str, registered: str) -> bool:
    """Keycloak's wildcard, which only a realm file brings in: a registered URI ending in ``*``
    matches every URI that begins with the rest of it; ``*`` alone matches any http(s) URI
    (never ``javascript:`` or ``data:``). A URI with a fragment never matches (RFC 6749
    §3.1.2)."""
    if not registered.endswith(WILDCARD) or "#" in requested:
        return False
    if registered == WILDCARD:
        return requested.lower().startswith(("https://", "http://"))
    return requested.startswith(registered.removesuffix(WILDCARD))


def _same_loopback_uri(requested: str, registered: str) -> bool:
    """Equal but for the port, both being loopback IP redirect URIs of the same host."""
    wanted = _LOOPBACK_URI.fullmatch(registered)
    given = _LOOPBACK_URI.fullmatch(requested)
    return bool(wanted and given) and wanted.groups("") == given.groups("")


class Grant(AbstractGrant):
    """An authorization code. ``code`` holds the SHA-256 of the code, never the code itself."""

    session = models.ForeignKey(
        UserSession, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    # Every token issued from this code, and from refreshes descending from it, shares the
    # family: a replayed code revokes the family (RFC 6749 §4.1.2).
    token_family = models.UUIDField(default=uuid.uuid4, editable=False)
    # RFC 9449 §10: the thumbprint of the DPoP key the authorization request named
    # (``dpop_jkt``); the code is exchanged only with a proof of that key.
    dpop_jkt = models.CharField(max_length=64, blank=True, default="")

    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"


class AccessToken(AbstractAccessToken):
    # Never looked up (a token is found by its checksum): no index to keep up per INSERT.
    jti = models.CharField(max_length=64, blank=True)
    session = models.ForeignKey(
        UserSession, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token_family = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta(AbstractAccessToken.Meta):
        swappable = "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"


class RefreshToken(AbstractRefreshToken):
    """Bound to the SSO session it came from, unless ``offline`` (Keycloak's offline token)."""

    jti = models.CharField(max_length=64, blank=True)
    session = models.ForeignKey(
        UserSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offline = models.BooleanField(default=False)
    expires = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractRefreshToken.Meta):
        swappable = "OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL"

    @classmethod
    def revoke_family(cls, token_family) -> None:
        """DOT's sweep, plus every access token of the family: ours carry the family
        themselves, including those issued from the code before any refresh (RFC 6749
        §4.1.2) and those whose refresh token has since been rotated away."""
        if not token_family:
            return
        with transaction.atomic():
            super().revoke_family(token_family)
            AccessToken.objects.filter(token_family=token_family).delete()


class RevokedToken(models.Model):
    """A revoked stateless access token (protocol/stateless.py): client-credentials tokens have
    no row of their own, so revoking one (RFC 7009) records its ``jti`` until it would have
    expired anyway."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=64)
    client_id = models.CharField(max_length=255)
    expires = models.DateTimeField(db_index=True)
    revoked = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["realm", "jti"], name="revoked_token_unique_jti")
        ]

    def __str__(self):
        return f"{self.client_id} {self.jti}"


class IDToken(AbstractIDToken):
    class Meta(AbstractIDToken.Meta):
        swappable = "OAUTH2_PROVIDER_ID_TOKEN_MODEL"


class Consent(models.Model):
    """The scopes a user has allowed a client (for clients with consent required)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    scopes = models.TextField(help_text="Space-separated scope names.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="unique_consent_per_client")
        ]

    def __str__(self):
        return f"{self.user} -> {self.client}"

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())


from authserver.backchannel.models import LogoutDelivery  # noqa: E402,F401
from authserver.device.models import DeviceAuthorization  # noqa: E402,F401
from authserver.keys.models import SigningKey  # noqa: E402,F401
from authserver.par.models import PushedRequest  # noqa: E402,F401
from authserver.registration.models import (  # noqa: E402,F401
    ClientRegistration,
    InitialAccessToken,
    RegistrationPolicy,
)
