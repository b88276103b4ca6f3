"""The tokens we mint: RFC 9068 access tokens, Keycloak-shaped refresh and ID tokens.

oauthlib calls ``access_token(request)`` and ``refresh_token(request)`` as its generators; the
validator has put on the request what they need (realm, client, subject, SSO session, scopes).
What they decide (jti, expiry) is left on the request for the validator to store.
"""

import time
import uuid
from datetime import UTC, datetime

from accounts.models import ClientScope, User, UserSession
from authserver.protocol import audiences, claims, directory, dpop, families, jwt, stateless
from authserver.protocol.backend import REALM
from authserver.protocol.scopes import audiences_of, client_scopes

# Keycloak's offlineSessionIdleTimeout default: an offline token lives 30 days unused.
OFFLINE_SECONDS = 30 * 24 * 3600


def subject_of(request) -> User | None:
    """The user a token speaks for: the end user, or a client's service account."""
    if request.grant_type == "client_credentials":
        return request.client.service_account
    return request.user


def _scope_audiences(realm, client, scopes: list[str]) -> tuple[str, ...]:
    # The client's own scopes are already read (validate_scopes); the realm's are asked for
    # only when a scope is not among them (a scope since removed from the client).
    defaults, optional = client_scopes(client)
    known = defaults | optional
    granted = [known[name] for name in scopes if name in known]
    if len(granted) < len(scopes) or any(scope.realm_id != realm.pk for scope in granted):
        granted = ClientScope.objects.filter(realm=realm, name__in=scopes)
    return audiences_of(granted)


def identity_claims(user: User, session: UserSession | None, scopes: set[str]) -> dict:
    found = {"sub": str(user.subject)}
    if session is not None:
        found["sid"] = str(session.sid)
        found["auth_time"] = int(session.started.timestamp())
    found |= claims.role_claims(directory.effective_roles(user))
    # Keycloak adapters read preferred_username from every token, whatever the scopes.
    found["preferred_username"] = user.username
    found |= claims.profile_claims(user, scopes)
    return found


def access_token(request, refresh_token=False) -> str:
    realm, client = request.headers[REALM], request.client
    user = subject_of(request)
    session = getattr(request, "sso_session", None)
    now = int(time.time())
    jti = _access_jti(request)
    request.access_token_jti = jti
    scopes = list(request.scopes or [])
    # oauthlib has set expires_in (lifetimes.py) before calling us; the record expires with it.
    lifespan = getattr(request, "expires_in", None)
    identity = (
        identity_claims(user, session, set(scopes))
        if user is not None
        else {"sub": client.client_id}
    )
    # A token exchange (RFC 8693) names its one audience; otherwise scopes and roles decide.
    audience = getattr(request, "token_audiences", None) or audiences.resolve(
        realm,
        client.client_id,
        user,
        scope_audiences=_scope_audiences(realm, client, scopes),
        resource_access=identity.get("resource_access", {}),
    )
    body = {
        "exp": now + (realm.access_token_lifespan if lifespan is None else lifespan),
        "iat": now,
        "jti": jti,
        "iss": realm.issuer,
        "aud": audience,
        "typ": "Bearer",
        "azp": client.client_id,
        "client_id": client.client_id,
        "scope": " ".join(scopes),
    }
    body |= identity
    actor = getattr(request, "actor", None)
    if actor:
        body["act"] = actor  # RFC 8693 §4.1: who acts for the subject
    # RFC 7800 §3.1: what the token is bound to, the client's certificate (RFC 8705 §3.1) and
    # the key its request proved (RFC 9449 §6.1).
    certificate, key = _confirmation(request), dpop.confirmation(request)
    if certificate or key:
        body["cnf"] = {**(certificate or {}), **(key or {})}
    return jwt.sign(realm, body, typ=jwt.ACCESS_TOKEN_TYPE)


def _confirmation(request) -> dict | None:
    """What the tokens are bound to (RFC 7800 ``cnf``), when protocol/certificate_binding.py
    bound them: read from the request's own attributes, since oauthlib's Request answers a
    missing one by raising (ten times the cost of this lookup, on every token)."""
    return vars(request).get("cnf")


def _access_jti(request) -> str:
    if request.grant_type not in families.GRANTS:
        return stateless.new_jti(request.grant_type)
    if getattr(request, "token_family", None) is None:
        request.token_family = uuid.uuid4()  # a family starts here (the password grant)
    return families.access_jti(request.token_family)


def refresh_token(request) -> str:
    realm, client = request.headers[REALM], request.client
    session = getattr(request, "sso_session", None)
    # RFC 6749 §6: a refresh keeps the refresh token's scope, however narrow the access token.
    scopes = getattr(request, "refresh_token_scopes", None) or request.scopes or []
    offline = "offline_access" in scopes
    now = int(time.time())
    if offline or session is None:
        expires = now + OFFLINE_SECONDS
    else:
        idle_end = now + realm.sso_session_idle_timeout
        max_end = int(session.started.timestamp()) + realm.sso_session_max_lifespan
        expires = min(idle_end, max_end)
    family = getattr(request, "token_family", None)
    previous = getattr(request, "refresh_token_instance", None)
    jti = (
        families.refresh_jti(family, previous.jti if previous is not None else None)
        if family is not None
        else str(uuid.uuid4())
    )
    request.refresh_token_jti = jti
    request.refresh_token_offline = offline
    request.refresh_token_expires = datetime.fromtimestamp(expires, tz=UTC)
    body = {
        "exp": expires,
        "iat": now,
        "jti": jti,
        "iss": realm.issuer,
        "aud": realm.issuer,
        "sub": str(request.user.subject),
        "typ": "Offline" if offline else "Refresh",
        "azp": client.client_id,
        "scope": " ".join(scopes),
    }
    if session is not None:
        body["sid"] = str(session.sid)
    # A public client's refresh token is bound as its access token is (RFC 8705 §4, RFC 9449
    # §5); a confidential client's is bound by the client's authentication.
    certificate = _confirmation(request) if client.is_public else None
    key = dpop.refresh_confirmation(request)
    if certificate or key:
        body["cnf"] = {**(certificate or {}), **(key or {})}
    return jwt.sign_refresh(realm, body)


def refresh_expires_in(request) -> int:
    expires = getattr(request, "refresh_token_expires", None)
    return max(0, int(expires.timestamp() - time.time())) if expires else 0
