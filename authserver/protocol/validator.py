"""The one django-oauth-toolkit validator: realm-scoped lookups, hashed codes, our JWTs.

Every lookup of a client, code or token is confined to the realm of the request (see
backend.py). Reasons for a refusal go to the log; clients get the RFC's generic error.
"""

import hashlib
import json
import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors

from accounts.models import UserSession
from authserver.models import AccessToken, Client, Grant, IDToken, RefreshToken
from authserver.observability import context, receivers
from authserver.protocol import (
    authentication_context,
    authorization,
    client_assertion,
    consent,
    credentials,
    directory,
    jwt,
    origins,
    scopes,
    stateless,
    throttling,
    token_exchange,
    tokens,
)
from authserver.protocol.backend import REALM, SESSION
from authserver.protocol.errors import InvalidRequest, InvalidScope
from authserver.protocol.grants import password

log = logging.getLogger(__name__)

MAX_CLIENT_ID_LENGTH = 255


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def refresh_refusal(record: RefreshToken | None, now) -> str | None:
    """Why a refresh token's record does not make it live, or None (the grant and
    introspection ask the same question)."""
    if record is None:
        return "revoked, unknown or another client's"
    if record.expires is not None and record.expires <= now:
        return "expired"
    if record.user is not None and not record.user.is_active:
        return "its user is disabled"
    if not record.offline and (record.session is None or not record.session.is_live(now)):
        return "its SSO session has ended"
    return None


def _realm(request):
    return request.headers[REALM]


def _max_age(request) -> int | None:
    """The request's max_age, already checked to be digits by the authorization endpoint."""
    value = getattr(request, "max_age", None)
    return int(value) if isinstance(value, str) and value.isdecimal() else None


class RealmValidator(OAuth2Validator):
    # --- clients --------------------------------------------------------------------------------
    def _load_application(self, client_id, request):
        realm = _realm(request)
        cached = request.client
        if (
            isinstance(cached, Client)
            and cached.client_id == client_id
            and cached.realm_id == realm.pk
        ):
            return cached
        request.client = None
        if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH or "\x00" in client_id:
            return None
        client = directory.client(realm, client_id)
        if client is None:
            return None
        request.client = client
        return client

    def client_authentication_required(self, request, *args, **kwargs):
        if self._extract_basic_auth(request) or getattr(request, "client_secret", None):
            return True
        client = self._load_application(request.client_id, request)
        return client is None or not client.is_public

    def authenticate_client(self, request, *args, **kwargs):
        authenticated = self._authenticate_client(request)
        if request.grant_type:
            # The token endpoint's limits, before the grant is looked at (so a code is not spent
            # by a refused request); introspection and revocation have no grant_type.
            throttling.check(request, authenticated=request.client if authenticated else None)
        if authenticated:
            context.bind(client=request.client.client_id)
        return authenticated

    def _extract_basic_auth(self, request):
        return credentials.basic_credentials(request.headers.get("HTTP_AUTHORIZATION"))

    def _authenticate_client(self, request) -> bool:
        try:
            credentials.check_one_method(
                authorization=request.headers.get("HTTP_AUTHORIZATION"),
                form=dict(request.decoded_body or []),
            )
        except InvalidRequest as error:
            log.info("invalid_request: %s", error.detail)
            raise oauthlib_errors.InvalidRequestError(
                description=error.description, request=request
            ) from None
        if getattr(request, "client_assertion_type", None):
            authenticated = client_assertion.authenticate(self, request)
            if authenticated and not request.client.accepts_assertion:
                log.info("invalid_client: %s does not authenticate with a JWT", request.client)
                return False
            return authenticated
        authenticated = self._authenticate_basic_auth(request) or self._authenticate_request_body(
            request
        )
        if authenticated and not request.client.accepts_secret:
            # Keycloak's clientAuthenticatorType: a client-jwt client's secret is no credential.
            log.info("invalid_client: %s does not authenticate with its secret", request.client)
            return False
        if authenticated and request.client_id not in (None, request.client.client_id):
            # The Basic credentials are one client's, the form names another.
            log.info("invalid_client: %s authenticated, the form names another", request.client)
            return False
        # A public client has no secret to present: it may not authenticate with one.
        return authenticated and not request.client.is_public

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        client = self._load_application(client_id, request)
        if request.grant_type:
            throttling.check(request, authenticated=None)
        if client is not None and client.is_public:
            context.bind(client=client.client_id)
            return True
        return False

    # --- grant and response types: a table, not an if-chain -----------------------------------
    _GRANT_ALLOWED = {
        "authorization_code": lambda client: client.standard_flow_enabled,
        "refresh_token": lambda client: client.standard_flow_enabled or password.enabled(client),
        "client_credentials": lambda client: (
            client.service_accounts_enabled and not client.is_public
        ),
        token_exchange.GRANT_TYPE: token_exchange.may_exchange,
        password.GRANT_TYPE: password.enabled,
    }

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        allowed = self._GRANT_ALLOWED.get(grant_type)
        return bool(allowed and allowed(client)) and not client.bearer_only

    def validate_user(self, username, password_, client, request, *args, **kwargs):
        """RFC 6749 §4.3.2, for the clients that turn the password grant on (grants/password)."""
        user = password.authenticated_user(username, password_, client, request)
        if user is None:
            return False
        request.user = user
        return True

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code" and client.standard_flow_enabled

    # --- scopes ---------------------------------------------------------------------------------
    def get_default_scopes(self, client_id, request, *args, **kwargs):
        defaults, _ = scopes.client_scopes(request.client)
        return sorted(defaults)

    def validate_scopes(self, client_id, requested, client, request, *args, **kwargs):
        try:
            granted = scopes.grant(client, set(requested))
        except InvalidScope as error:
            log.info("invalid scope: %s", error.detail)
            return False
        request.scopes = sorted(granted.names)
        return True

    # --- PKCE and redirect URIs ---------------------------------------------------------------
    def is_pkce_required(self, client_id, request):
        client = self._load_application(client_id, request)
        return client is None or client.is_public or client.pkce_method == "S256"

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        return request.client.redirect_uri_allowed(redirect_uri)

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        """None: the authorization request must name its redirect URI, and so must the code
        exchange that follows it (RFC 6749 §4.1.3)."""
        return None

    # --- OpenID Connect prompt=none (OIDC Core §3.1.2.1) ---------------------------------------
    def validate_silent_login(self, request):
        session = request.headers.get(SESSION)
        return session is not None and not authorization.is_too_old(
            session, _max_age(request), timezone.now()
        )

    def validate_silent_authorization(self, request):
        session = request.headers.get(SESSION)
        return session is not None and not consent.is_needed(
            request.client, session.user, request.scopes or []
        )

    # --- authorization codes: stored as SHA-256, single use -----------------------------------
    def _grant(self, code, client, request=None):
        """The code's record; oauthlib asks for it up to six times per exchange, so it is read
        once per request (its claim, in validate_code, is an UPDATE of its own)."""
        key = (code, client.pk if client is not None else None)
        found = getattr(request, "_grants", None)
        if found is not None and key in found:
            return found[key]
        grant = (
            Grant.objects.select_related("session", "user")
            .filter(code=digest(code), application=client)
            .first()
        )
        if grant is not None and grant.session is not None and request is not None:
            grant.session.realm = _realm(request)  # the code's session is of its realm
        if request is not None:
            request._grants = {**(found or {}), key: grant}
        return grant

    def _create_authorization_code(self, request, code, expires=None):
        """DOT's row with its SHA-256 and the SSO session, in one INSERT. PKCE is S256 only
        (server.py), so DOT's check for "plain" has nothing left to refuse."""
        expires = expires or timezone.now() + timedelta(
            seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS
        )
        return Grant.objects.create(
            application=request.client,
            user=request.user,
            code=digest(code["code"]),
            expires=expires,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims=json.dumps(request.claims or {}),
            resource=getattr(request, "resource", []),  # RFC 8707
            session=request.headers.get(SESSION),
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self._grant(code, client, request)
        if grant is None:
            log.info("invalid_grant: unknown code for client %s", client.client_id)
            return False
        if not grant.code_challenge and getattr(request, "code_verifier", None):
            # RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade.
            log.info("invalid_grant: code_verifier for a code issued without code_challenge")
            return False
        # Claim the code atomically: of two concurrent exchanges exactly one wins.
        claimed = Grant.objects.filter(pk=grant.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not claimed:
            log.warning("invalid_grant: code replayed for client %s; revoking", client.client_id)
            RefreshToken.revoke_family(grant.token_family)
            return False
        if grant.is_expired():
            log.info("invalid_grant: expired code for client %s", client.client_id)
            return False
        if grant.session is not None and not grant.session.is_live(timezone.now()):
            log.info("invalid_grant: the SSO session of the code has ended")
            return False
        request.scopes = grant.scope.split()
        request.user = grant.user
        request.sso_session = grant.session
        request.token_family = grant.token_family
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        grant = self._grant(code, client, request)
        if grant is None or grant.redirect_uri != redirect_uri:
            # RFC 6749 §5.2: a redirect URI other than the authorization request's is
            # invalid_grant (oauthlib would say invalid_request).
            log.info("invalid_grant: redirect_uri differs from the code's")
            raise oauthlib_errors.InvalidGrantError(request=request)
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Already claimed in validate_code; the row stays to recognise a replay."""

    def get_code_challenge(self, code, request):
        grant = self._grant(code, request.client, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code, request):
        grant = self._grant(code, request.client, request)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        """Asked before the client is authenticated, to choose the OpenID grant: looked up in
        the realm only; validate_code binds the code to the client afterwards."""
        scope = (
            Grant.objects.filter(code=digest(code), application__realm=_realm(request))
            .values_list("scope", flat=True)
            .first()
        )
        return scope.split() if scope else []

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request.client, request)
        return (grant.nonce or None) if grant else None

    # --- storing what was issued --------------------------------------------------------------
    def save_bearer_token(self, token, request, *args, **kwargs):
        if request.grant_type in stateless.GRANTS:
            # Not stored: its jti is denied if it is revoked (protocol/stateless.py).
            token["refresh_expires_in"] = 0
            token["not-before-policy"] = 0
            return
        if not hasattr(request, "token_family"):
            request.token_family = uuid.uuid4()
        # Inside the token view's transaction already; a savepoint (two more round trips) only
        # where a refusal is raised in here, so that it undoes no more than this block.
        with transaction.atomic(savepoint=request.grant_type == "refresh_token"):
            if request.grant_type == "refresh_token":
                self._claim_refresh_token(request)
            self._save_bearer_token(token, request, *args, **kwargs)
        token["refresh_expires_in"] = tokens.refresh_expires_in(request)
        token["not-before-policy"] = 0
        session = getattr(request, "sso_session", None)
        if session is not None:
            token["session_state"] = str(session.sid)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # DOT's row, with our columns, in one INSERT. DOT would look the ID token up by
        # verifying it with a per-client key; ours is signed with the realm's key, and
        # finalize_id_token has left its record on the request.
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=getattr(request, "id_token", None) if token.get("id_token") else None,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
            jti=getattr(request, "access_token_jti", ""),
            session=getattr(request, "sso_session", None),
            token_family=request.token_family,
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def _create_refresh_token(
        self, request, refresh_token_code, access_token, previous_refresh_token
    ):
        # DOT's row, with our columns, in one INSERT. Without a previous token the family
        # starts at the code: a replayed code revokes the refresh tokens too.
        refresh = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=(
                request.token_family
                if previous_refresh_token is None
                else previous_refresh_token.token_family
            ),
            resource=getattr(request, "resource", []),  # RFC 8707
            jti=getattr(request, "refresh_token_jti", ""),
            session=getattr(request, "sso_session", None),
            offline=getattr(request, "refresh_token_offline", False),
            expires=getattr(request, "refresh_token_expires", None),
        )
        self._set_token_value(refresh, refresh_token_code)
        refresh.save()
        return refresh

    # --- refresh tokens -----------------------------------------------------------------------
    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if jwt.unverified_claims(refresh_token) is None:
            log.info("invalid_grant: refresh token rejected: not a compact JWS")
            return False
        # DOT finds the token's record by its SHA-256, refuses a used refresh token and, with
        # REFRESH_TOKEN_REUSE_PROTECTION, revokes its family (RefreshToken.revoke_family, which
        # ours extends to the family's access tokens).
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            if _reused(refresh_token):
                receivers.refresh_token_reused(realm=_realm(request).name, client=client.client_id)
            return False
        try:
            # Valid by its record, not by a key that may have been purged since it signed.
            claims = jwt.recorded_claims(_realm(request), refresh_token)
        except jwt.BadToken as error:
            log.info("invalid_grant: refresh token rejected: %s", error)
            return False
        record = request.refresh_token_instance
        if record.session_id is not None:
            record.session.realm = _realm(request)  # the session is of the token's realm
        now = timezone.now()
        reason = refresh_refusal(record, now)
        if reason:
            log.info("invalid_grant: refresh token refused: %s", reason)
            return False
        if not record.offline:
            session = record.session
            # As Keycloak's: a client refreshing its tokens keeps the user's session from idling
            # out (its max lifespan still ends it).
            UserSession.objects.filter(pk=session.pk).update(last_seen=now)
            session.last_seen = now
            request.sso_session = session
        request.token_family = record.token_family
        request.refresh_token_scopes = str(claims.get("scope", "")).split()
        return True

    def _claim_refresh_token(self, request):
        """Of two concurrent refreshes with one token, exactly one wins: the row is locked and
        must still be unrevoked once the lock is ours."""
        record = RefreshToken.objects.select_for_update().get(pk=request.refresh_token_instance.pk)
        if record.revoked is not None:
            raise oauthlib_errors.InvalidGrantError(request=request)
        request.refresh_token_instance = record

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        """RFC 6749 §6: the scope the refresh token was issued with (its signed ``scope``), not
        the possibly narrower scope of the access token issued with it."""
        if getattr(request, "refresh_token_scopes", None) is not None:
            return list(request.refresh_token_scopes)
        scope = super().get_original_scopes(refresh_token, request, *args, **kwargs)
        return scope.split() if isinstance(scope, str) else scope

    # --- ID tokens ----------------------------------------------------------------------------
    def get_id_token_dictionary(self, token, token_handler, request):
        realm = _realm(request)
        user = request.user
        session = getattr(request, "sso_session", None)
        now = timezone.now()
        expires = now + timedelta(seconds=realm.access_token_lifespan)
        granted = set(request.scopes or [])
        body = tokens.identity_claims(user, session, granted)
        body.update(
            iss=realm.issuer,
            exp=int(expires.timestamp()),
            iat=int(now.timestamp()),
            jti=str(uuid.uuid4()),
            azp=request.client.client_id,
            typ="ID",
            **authentication_context.claims(session),
        )
        body.pop("scope", None)
        return body, expires

    def finalize_id_token(self, id_token, token, token_handler, request):
        body, expires = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(body)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        request.id_token = IDToken.objects.create(
            user=request.user,
            scope=" ".join(request.scopes or []),
            expires=expires,
            jti=id_token["jti"],
            application=request.client,
        )
        return jwt.sign(_realm(request), id_token)

    # --- origins (CORS at the token endpoint) -------------------------------------------------
    def is_origin_allowed(self, client_id, origin, request, *args, **kwargs):
        client = request.client or self._load_application(client_id, request)
        return client is not None and origins.client_allows(client, origin)

    # --- revocation (RFC 7009) ----------------------------------------------------------------
    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        """RFC 7009 §2.1: only the authenticated client's own tokens, in the request's realm;
        anything else is ignored (§2.2: the answer is 200 all the same). Both kinds are looked
        for whatever the hint.

        Either kind ends the grant it came from: its family's refresh tokens are revoked and its
        access tokens deleted (§2.1 SHOULD for a refresh token, MAY for an access token; DOT
        refuses a refresh token whose access token is gone, so keeping it would be a pretence).
        A token from a token exchange (RFC 8693, it names an ``act``or) is revoked alone: it
        shares the family of the user's grant, which its client must not end.
        """
        client = request.client
        if not isinstance(client, Client) or client.realm_id != _realm(request).pk:
            return
        checksum = digest(token)
        mine = {"token_checksum": checksum, "application": client}
        with transaction.atomic():
            refresh = RefreshToken.objects.filter(**mine, revoked__isnull=True).first()
            access = AccessToken.objects.filter(**mine).first()
            if refresh is None and access is None:
                _revoke_stateless(_realm(request), client, token)
                return
            for found in (refresh, access):
                if found is None:
                    continue
                log.info("revocation: a token of %s, with its family", client.client_id)
                if found.token_family is None or _exchanged(found, token):
                    found.revoke()
                else:
                    RefreshToken.revoke_family(found.token_family)


def _reused(refresh_token: str) -> bool:
    """Whether a refused refresh token is one that was rotated or revoked (DOT has revoked its
    family); read only on the way to a refusal."""
    return RefreshToken.objects.filter(
        token_checksum=digest(refresh_token), revoked__isnull=False
    ).exists()


def _exchanged(found, token: str) -> bool:
    """Whether ``found``, the record of ``token``, was issued by a token exchange."""
    return isinstance(found, AccessToken) and "act" in (jwt.unverified_claims(token) or {})


def _revoke_stateless(realm, client: Client, token: str) -> None:
    """A token with no row of its own: stateless, if our signature and its jti say so."""
    try:
        claims = jwt.verify(realm, token, typ=jwt.ACCESS_TOKEN_TYPE, check_expiry=False)
    except jwt.BadToken:
        return
    if stateless.is_stateless(claims):
        stateless.revoke(realm, client, claims)
