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

from accounts import rows
from authserver.models import (
    CLIENT_JWT_AUTHENTICATOR,
    CLIENT_SECRET_AUTHENTICATOR,
    AccessToken,
    Client,
    Grant,
    RefreshToken,
)
from authserver.observability import context, receivers
from authserver.protocol import (
    authentication_context,
    authorization,
    certificate_binding,
    client_assertion,
    client_policies,
    consent,
    credentials,
    device,
    directory,
    dpop,
    families,
    jwt,
    mtls,
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
REFRESH_TYPES = frozenset({"Refresh", "Offline"})


def _policies_allow(client: Client, authenticator: str) -> bool:
    """Whether the client's policies let it authenticate this way (Keycloak's
    ``secure-client-authenticator``); refused, it is invalid_client like a wrong secret."""
    allowed = client_policies.requirements(client).authenticators
    if allowed is None or authenticator in allowed:
        return True
    log.info("invalid_client: %s may not use %s (client policies)", client, authenticator)
    return False


def _resources(request) -> list[str]:
    """RFC 8707 §2: every ``resource`` of the authorization request (oauthlib's attribute holds
    one value, as a string)."""
    return [value for name, value in request.uri_query_params or [] if name == "resource"]


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


# The code with its user and session, if its client is of the realm.
_CLIENTS_OF_REALM = f"SELECT id FROM {rows.table(Client)} WHERE realm_id = %s"  # noqa: S608
_CODE = rows.JoinedSelect(
    Grant, ("user", "session"), f"a.code = %s AND a.application_id IN ({_CLIENTS_OF_REALM})"
)


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
                certificate_binding.bind(request)
                dpop.check_token_request(request)
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
            return authenticated and _policies_allow(request.client, CLIENT_JWT_AUTHENTICATOR)
        if not self._extract_basic_auth(request) and not getattr(request, "client_secret", None):
            client = self._load_application(request.client_id, request)
            if client is not None and client.accepts_certificate:
                return self._authenticate_certificate(request, client) and _policies_allow(
                    client, client.authenticator
                )
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
        return (
            authenticated
            and not request.client.is_public
            and _policies_allow(request.client, CLIENT_SECRET_AUTHENTICATOR)
        )

    def _authenticate_certificate(self, request, client) -> bool:
        """RFC 8705 §2: the client names itself and proves it with its TLS certificate."""
        reason = mtls.refusal(client, certificate_binding.presented(request))
        if reason:
            log.info("invalid_client: %s: %s", client.client_id, reason)
            return False
        return True

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        client = self._load_application(client_id, request)
        if request.grant_type:
            throttling.check(request, authenticated=None)
        if client is not None and client.is_public:
            if client_policies.requirements(client).confidential:
                log.info("invalid_client: %s is public; its client policies refuse it", client)
                return False
            if request.grant_type:
                certificate_binding.bind(request)  # RFC 8705 §4: without authenticating
            context.bind(client=client.client_id)
            if request.grant_type:
                dpop.check_token_request(request)
            return True
        return False

    # --- grant and response types: a table, not an if-chain -----------------------------------
    _GRANT_ALLOWED = {
        "authorization_code": lambda client: client.standard_flow_enabled,
        "refresh_token": lambda client: (
            client.standard_flow_enabled or password.enabled(client) or device.enabled(client)
        ),
        "client_credentials": lambda client: (
            client.service_accounts_enabled and not client.is_public
        ),
        token_exchange.GRANT_TYPE: token_exchange.may_exchange,
        password.GRANT_TYPE: password.enabled,
        device.GRANT_TYPE: device.enabled,
    }

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        allowed = self._GRANT_ALLOWED.get(grant_type)
        return bool(allowed and allowed(client)) and not client.bearer_only

    def validate_device_code(self, client_id, code, request, *args, **kwargs):
        """RFC 8628 §3.4-3.5, for the clients that turn the device grant on (device.py)."""
        return device.poll(request.client, code, request)

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
        return (
            client is None
            or client.is_public
            or client.pkce_method == "S256"
            or client_policies.requirements(client).pkce_s256
        )

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
    def _grant(self, code, client, request):
        """The code's record if it is ``client``'s; oauthlib asks for it up to six times per
        exchange, so it is read once per request (its claim, in validate_code, is an UPDATE of
        its own)."""
        grant = self._code_in_realm(code, request)
        if grant is None or client is None or grant.application_id != client.pk:
            return None
        return grant

    def _code_in_realm(self, code, request):
        """The code's record in the request's realm, with its user and session, whichever client
        it is bound to (the client may not be authenticated yet)."""
        found = getattr(request, "_codes", None)
        if found is None:
            found = request._codes = {}
        if code not in found:
            realm = _realm(request)
            grant = _CODE.one([digest(code), realm.pk])
            if grant is not None and grant.session is not None:
                grant.session.realm = realm  # the code's session is of its realm
            found[code] = grant
        return found[code]

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
            resource=_resources(request),  # RFC 8707
            session=request.headers.get(SESSION),
            # RFC 9449 §10, checked by the authorization endpoint (authorization.py).
            dpop_jkt=getattr(request, "dpop_jkt", None) or "",
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        """The code is the client's, unspent, unexpired, its session live. It is claimed when
        the family it starts is written (save_bearer_token); from here on, a refused exchange
        spends it too (grants/authorization_code.py, ``spend_code``)."""
        grant = self._grant(code, client, request)
        if grant is None:
            log.info("invalid_grant: unknown code for client %s", client.client_id)
            return False
        if not grant.code_challenge and getattr(request, "code_verifier", None):
            # RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade.
            log.info("invalid_grant: code_verifier for a code issued without code_challenge")
            return False
        if grant.dpop_jkt:
            # RFC 9449 §10: a code asked for with dpop_jkt goes only with a proof of that key; a
            # refusal leaves it unspent, for the client that holds the key.
            dpop.check_binding(grant.dpop_jkt, request, what="code")
        request.code_record = grant
        if grant.used_at is not None:
            _revoke_replayed_code(request)
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
        """Claimed with the family's row (save_bearer_token), or here should no family have
        been written; the row stays to recognise a replay."""
        self.spend_code(request)

    def spend_code(self, request) -> None:
        """A refused exchange of a code found to be its client's spends it, once; a code that
        was spent already is a replay, which revokes what it issued (RFC 6749 §4.1.2)."""
        grant = getattr(request, "code_record", None)
        if grant is None or getattr(request, "code_spent", False):
            return
        request.code_spent = True
        if not families.claim(grant):
            _revoke_replayed_code(request)

    def get_code_challenge(self, code, request):
        grant = self._grant(code, request.client, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code, request):
        grant = self._grant(code, request.client, request)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        """Asked before the client is authenticated, to choose the OpenID grant: looked up in
        the realm only; validate_code binds the code to the client afterwards."""
        grant = self._code_in_realm(code, request)
        return grant.scope.split() if grant is not None and grant.scope else []

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
        if request.grant_type in families.GRANTS:
            self._check_and_set_request_resource(request)
            self._save_family(token, request)
        else:
            self._save_bearer_token(token, request, *args, **kwargs)
        token["refresh_expires_in"] = tokens.refresh_expires_in(request)
        token["not-before-policy"] = 0
        session = getattr(request, "sso_session", None)
        if session is not None:
            token["session_state"] = str(session.sid)

    def _save_family(self, token, request):
        """The family's one row (protocol/families.py): rotated in place by a refresh,
        written by the grant that starts the family. Its access token is not stored."""
        value = token.get("refresh_token")
        if not value:
            return
        if request.grant_type == "refresh_token":
            rotated = families.rotate(
                request.refresh_token_instance,
                checksum=digest(value),
                jti=request.refresh_token_jti,
                expires=request.refresh_token_expires,
            )
            if not rotated:
                log.info("invalid_grant: the refresh token was spent by a concurrent request")
                raise oauthlib_errors.InvalidGrantError(request=request)
            return
        record = self._refresh_token_row(request, value, None, None)
        if request.grant_type != "authorization_code":
            rows.insert(record)
            return
        request.code_spent = True
        if not families.start(record, request.code_record):
            _revoke_replayed_code(request)
            raise oauthlib_errors.InvalidGrantError(request=request)

    def _check_and_set_request_resource(self, request):
        """django-oauth-toolkit's RFC 8707 checks, with the code's resources taken from the
        record this request has read already (it would read the code again, by the value we
        never store)."""
        if request.grant_type != "authorization_code":
            return super()._check_and_set_request_resource(request)
        request.grant_type = None  # the normalisation and URI checks only
        try:
            super()._check_and_set_request_resource(request)
        finally:
            request.grant_type = "authorization_code"
        grant = self._grant(request.code, request.client, request)
        granted = (grant.resource or []) if grant is not None else []
        if request.resource and granted:
            for resource in request.resource:
                if resource not in granted:
                    raise oauthlib_errors.CustomOAuth2Error(
                        error="invalid_target",
                        description=(
                            f"The requested resource '{resource}' is not allowed. Token request "
                            "cannot escalate resource permissions beyond the original "
                            "authorization grant"
                        ),
                        request=request,
                    )
        elif granted:
            self._validate_resource_uris(request, granted)
            request.resource = granted

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
        refresh = self._refresh_token_row(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        rows.insert(refresh)  # the ORM's save would cost more than the INSERT
        return refresh

    def _refresh_token_row(self, request, refresh_token_code, access_token, previous_refresh_token):
        # DOT's row, with our columns, unsaved. Without a previous token the family starts at
        # the code: a replayed code revokes the refresh tokens too.
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
        return refresh

    # --- refresh tokens -----------------------------------------------------------------------
    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """The family's current refresh token (protocol/families.py); any other token of ours
        is a replay, which revokes its family (RFC 9700 §4.14.2)."""
        if jwt.unverified_claims(refresh_token) is None:
            log.info("invalid_grant: refresh token rejected: not a compact JWS")
            return False
        realm = _realm(request)
        record = families.current(digest(refresh_token))
        if record is None:
            _revoke_replayed(realm, client, refresh_token)
        if record is None or record.application_id != client.pk:
            log.info("invalid_grant: refresh token revoked, unknown or another client's")
            return False
        try:
            # Valid by its record, not by a key that may have been purged since it signed.
            claims = jwt.recorded_claims(realm, refresh_token)
        except jwt.BadToken as error:
            log.info("invalid_grant: refresh token rejected: %s", error)
            return False
        if "cnf" in claims:  # RFC 9449 §5: used only with a proof of the key it is bound to
            dpop.check_binding(dpop.bound_key(claims), request, what="refresh token")
        record.application = client
        if record.session_id is not None:
            record.session.realm = realm  # the session is of the token's realm
        now = timezone.now()
        reason = refresh_refusal(record, now) or certificate_binding.refresh_refusal(
            claims, request
        )
        if reason:
            log.info("invalid_grant: refresh token refused: %s", reason)
            return False
        if not record.offline:
            families.touch(record.session, now)
            request.sso_session = record.session
        request.user = record.user
        request.refresh_token = refresh_token
        request.refresh_token_instance = record
        request.token_family = record.token_family or uuid.uuid4()
        request.refresh_token_scopes = str(claims.get("scope", "")).split()
        return True

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
        body, _ = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(body)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        # Not stored: nothing looks an ID token up (an id_token_hint is checked by its
        # signature, protocol/id_token_hint.py).
        request.id_token = None
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


def _exchanged(found, token: str) -> bool:
    """Whether ``found``, the record of ``token``, was issued by a token exchange."""
    return isinstance(found, AccessToken) and "act" in (jwt.unverified_claims(token) or {})


def _revoke_replayed_code(request) -> None:
    """A code presented again after it was spent: what it issued ends (RFC 6749 §4.1.2)."""
    request.code_spent = True
    log.warning("invalid_grant: code replayed for client %s; revoking", request.client.client_id)
    RefreshToken.revoke_family(request.code_record.token_family)


def _revoke_stateless(realm, client: Client, token: str) -> None:
    """A token with no row of its own: stateless, or of a family, if our signature and its jti
    say so. A family's access token ends its family, as a stored one did."""
    try:
        claims = jwt.verify(realm, token, typ=jwt.ACCESS_TOKEN_TYPE, check_expiry=False)
    except jwt.BadToken:
        return
    if stateless.is_stateless(claims):
        stateless.revoke(realm, client, claims)
        return
    family = families.family_of_access(claims)
    if family is not None and claims.get("client_id") == client.client_id:
        log.info("revocation: an access token of %s, with its family", client.client_id)
        RefreshToken.revoke_family(family)


def _revoke_replayed(realm, client: Client, token: str) -> None:
    """A refresh token that is not its family's current one: a replay if it is ours and this
    client's, and then its family ends (RFC 9700 §4.14.2). A row revoked by rotation before
    families were kept in place names its family; a newer token names it in its signed jti."""
    family = (
        RefreshToken.objects.filter(token_checksum=digest(token), application=client)
        .values_list("token_family", flat=True)
        .first()
    )
    if family is None:
        try:
            claims = jwt.verify_refresh(realm, token)
        except jwt.BadToken:
            return
        if claims.get("typ") not in REFRESH_TYPES or claims.get("azp") != client.client_id:
            return
        family = families.family_of_refresh(claims)
    if family is not None:
        log.warning("invalid_grant: refresh token replayed for %s; revoking", client.client_id)
        receivers.refresh_token_reused(realm=realm.name, client=client.client_id)
        RefreshToken.revoke_family(family)
