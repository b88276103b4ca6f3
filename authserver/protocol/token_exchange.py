"""OAuth 2.0 Token Exchange (RFC 8693): who may exchange what, for which audience, with what scope.

Plain values in, typed errors out. The oauthlib side (client authentication, reading the
subject token, minting) is grants/token_exchange.py; this module holds the policy, so that the
validator can ask it whether a client may use the grant at all without importing the grant.

The exchanging client's attributes (strings, as Keycloak keeps client attributes):

- ``token.exchange.audiences``: the audiences it may exchange tokens for (space-separated);
- ``token.exchange.subject.audiences``: besides its client id, the audiences of the subject
  tokens it may exchange: the audience the realm's scopes give the service it runs (``orders``
  for the order service). A subject token meant for anyone else is not its to exchange
  (Keycloak's standard token exchange: the requester must be an audience of the subject token);
- ``token.exchange.subject.token.types``: the ``subject_token_type`` values it may send
  (space-separated; by default the access-token type only);
- ``token.exchange.scopes``: which scope of the subject token allows each scope of the new
  token, as ``new=subject`` pairs (space-separated). A scope not listed must be in the subject
  token itself: an exchange never widens what the user granted.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from authserver.protocol.errors import (
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    UnauthorizedClient,
)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
# RFC 8693 §3: the token type we issue, and the subject token types we can verify: our access
# tokens, which are JWTs too.
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
SUBJECT_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE)
AUDIENCES_ATTRIBUTE = "token.exchange.audiences"
SUBJECT_AUDIENCES_ATTRIBUTE = "token.exchange.subject.audiences"
SUBJECT_TYPES_ATTRIBUTE = "token.exchange.subject.token.types"
SCOPES_ATTRIBUTE = "token.exchange.scopes"


def _words(client, attribute: str, default: str = "") -> list[str]:
    value = (client.attributes or {}).get(attribute, default)
    return value.split() if isinstance(value, str) else []


def allowed_audiences(client) -> list[str]:
    """The audiences ``client`` may exchange tokens for (its ``token.exchange.audiences``)."""
    return _words(client, AUDIENCES_ATTRIBUTE)


def may_exchange(client) -> bool:
    """Whether ``client`` may use the grant at all: confidential (RFC 8693 §2.1 relies on client
    authentication to know who acts) and allowed at least one audience."""
    return not client.is_public and bool(allowed_audiences(client))


# --- the ordered checks of an exchange request (RFC 8693 §2.1) -------------------------------
def check_subject_token(subject_token: str | None, subject_token_type: str | None) -> None:
    if not subject_token:
        raise InvalidRequest("subject_token is required")
    if not subject_token_type:
        raise InvalidRequest("subject_token_type is required")
    if subject_token_type not in SUBJECT_TOKEN_TYPES:
        raise InvalidRequest(f"subject_token_type must be {' or '.join(SUBJECT_TOKEN_TYPES)}")


def check_subject_token_type_allowed(client, subject_token_type: str) -> None:
    """The client's ``token.exchange.subject.token.types`` (§2.2.2: a subject token
    unacceptable by policy is invalid_request)."""
    if subject_token_type not in _words(client, SUBJECT_TYPES_ATTRIBUTE, ACCESS_TOKEN_TYPE):
        raise InvalidRequest(
            f"subject_token_type {subject_token_type} is not accepted from this client",
            detail=f"client {client.client_id} may not exchange {subject_token_type}",
        )


def check_requested_token_type(requested_token_type: str | None) -> None:
    if requested_token_type and requested_token_type != ACCESS_TOKEN_TYPE:
        raise InvalidRequest(f"requested_token_type must be {ACCESS_TOKEN_TYPE}")


def check_no_actor_token(actor_token: str | None, actor_token_type: str | None) -> None:
    """§2.1 actor_token: not supported; the exchanging client is the actor. Refused rather than
    ignored, so that a client never believes a delegation it asked for was honoured."""
    if actor_token or actor_token_type:
        raise InvalidRequest("actor_token is not supported")


def target(audiences: list[str], resources: list[str]) -> str:
    """The one audience the new token is for: ``audience`` (§2.1, a logical name) or a
    ``resource`` (RFC 8707 §2: an absolute URI without a fragment). One per exchange."""
    named = list(dict.fromkeys(value for value in audiences + resources if value))
    if not named:
        raise InvalidRequest("audience is required")
    if len(named) > 1:
        raise InvalidTarget("name one audience per exchange")
    for resource in resources:
        if resource and not _absolute_uri(resource):
            raise InvalidTarget("resource must be an absolute URI without a fragment")
    return named[0]


def _absolute_uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not parts.fragment and "#" not in value


def check_audience_allowed(client, audience: str) -> None:
    if audience not in allowed_audiences(client):
        raise UnauthorizedClient(
            "the client may not exchange tokens for this audience",
            detail=f"client {client.client_id} asked to exchange for audience {audience!r}",
        )


# --- the subject token: meant for the client, a user's, and what it allows -----------------
def check_subject_meant_for(client, claims: dict) -> None:
    """RFC 8693 §2.1 leaves it to policy whether the client may act on this token; ours, as
    Keycloak's standard token exchange: the client must be an audience of the subject token,
    by its client id or an audience tied to it (``token.exchange.subject.audiences``)."""
    audience = claims.get("aud")
    named = {audience} if isinstance(audience, str) else set(audience or [])
    if not named & {client.client_id, *_words(client, SUBJECT_AUDIENCES_ATTRIBUTE)}:
        raise InvalidRequest(
            "the subject token is not meant for this client",
            detail=f"client {client.client_id} sent a token for {sorted(named)}",
        )


def check_not_another_clients_own(client, subject_client_id: str, *, client_credentials: bool):
    """A client-credentials token speaks for its client alone: no user delegated anything that
    another client could act on."""
    if client_credentials and subject_client_id != client.client_id:
        raise InvalidRequest(
            "the subject token is another client's own token",
            detail=f"client {client.client_id} sent a client-credentials token of "
            f"{subject_client_id}",
        )


def allowed_by_subject(client, subject_scopes: set[str]) -> set[str]:
    """The scopes a new token may carry beside those of the subject token itself: each
    ``new=subject`` pair of ``token.exchange.scopes`` whose subject scope the token has."""
    allowed = set(subject_scopes)
    for pair in _words(client, SCOPES_ATTRIBUTE):
        new, _, source = pair.partition("=")
        if new and source in subject_scopes:
            allowed.add(new)
    return allowed


@dataclass(frozen=True)
class Exchange:
    audience: str
    scopes: tuple[str, ...]


OPENID = "openid"


def scopes_for(client, audience: str, requested: set[str], subject_scopes: set[str]) -> Exchange:
    """The client's default and optional scopes whose audience mapper names ``audience``,
    narrowed to ``requested`` when the client asked for scopes (RFC 8693 §2.1 ``scope``), and
    bounded by what the subject token allows (``allowed_by_subject``).

    ``openid`` is no scope of an audience: as in Keycloak, it asks for an ID token beside the
    new access token, and narrows nothing. The subject token must carry it (the user signed in
    with OpenID Connect): an exchange never widens what the user granted. The grant adds the
    ID token when the scopes it returns hold ``openid``."""
    id_token = OPENID in requested
    if id_token and OPENID not in subject_scopes:
        raise InvalidScope(
            f"the subject token does not allow: {OPENID}",
            detail=f"client {client.client_id} asked for an ID token of a non-OpenID grant",
        )
    requested = requested - {OPENID}
    own = [*client.default_client_scopes.all(), *client.optional_client_scopes.all()]
    available = {scope.name for scope in own if audience in scope.audiences}
    if not available:
        raise InvalidTarget(
            "no scope of the client is meant for this audience",
            detail=f"client {client.client_id}: no scope maps to audience {audience!r}",
        )
    wanted = available & requested if requested else available
    if not wanted:
        raise InvalidScope(
            "none of the requested scopes is meant for this audience",
            detail=f"client {client.client_id} asked for {sorted(requested)} for {audience!r}",
        )
    allowed = allowed_by_subject(client, subject_scopes)
    beyond = wanted - allowed
    if requested and beyond:
        raise InvalidScope(
            f"the subject token does not allow: {' '.join(sorted(beyond))}",
            detail=f"client {client.client_id} asked for {sorted(beyond)} "
            f"beyond the subject token's {sorted(subject_scopes)}",
        )
    granted = wanted & allowed
    if not granted:
        raise InvalidScope(
            "the subject token allows no scope for this audience",
            detail=f"client {client.client_id}: {sorted(subject_scopes)} allow none of "
            f"{sorted(available)}",
        )
    if id_token:
        granted.add(OPENID)
    return Exchange(audience=audience, scopes=tuple(sorted(granted)))


def actor_claim(client, subject_claims: dict) -> dict:
    """RFC 8693 §4.1 ``act``: the exchanging client is the current actor (its service account's
    subject, else its client_id); an ``act`` of the subject token is nested as a prior actor."""
    account = client.service_account
    actor = {
        "sub": str(account.subject) if account is not None else client.client_id,
        "client_id": client.client_id,
    }
    prior = subject_claims.get("act")
    if isinstance(prior, dict):
        actor["act"] = prior
    return actor
