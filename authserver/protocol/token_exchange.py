"""OAuth 2.0 Token Exchange (RFC 8693): who may exchange, for which audience, with what scope.

Plain values in, typed errors out. The oauthlib side (client authentication, reading the
subject token, minting) is grants/token_exchange.py; this module holds the policy, so that the
validator can ask it whether a client may use the grant at all without importing the grant.

A client may exchange a user's access token only for an audience listed in its client attribute
``token.exchange.audiences`` (space-separated; Keycloak keeps client attributes as strings), and
only for scopes of its own that carry that audience.
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
# RFC 8693 §3: the one token type we accept and issue.
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
AUDIENCES_ATTRIBUTE = "token.exchange.audiences"


def allowed_audiences(client) -> list[str]:
    """The audiences ``client`` may exchange tokens for (its ``token.exchange.audiences``)."""
    value = (client.attributes or {}).get(AUDIENCES_ATTRIBUTE) or ""
    return value.split() if isinstance(value, str) else []


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
    if subject_token_type != ACCESS_TOKEN_TYPE:
        raise InvalidRequest(f"subject_token_type must be {ACCESS_TOKEN_TYPE}")


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


@dataclass(frozen=True)
class Exchange:
    audience: str
    scopes: tuple[str, ...]


def scopes_for(client, audience: str, requested: set[str]) -> Exchange:
    """The client's default and optional scopes whose audience mapper names ``audience``,
    narrowed to ``requested`` when the client asked for scopes (RFC 8693 §2.1 ``scope``)."""
    own = [*client.default_client_scopes.all(), *client.optional_client_scopes.all()]
    available = {scope.name for scope in own if audience in scope.audiences}
    if not available:
        raise InvalidTarget(
            "no scope of the client is meant for this audience",
            detail=f"client {client.client_id}: no scope maps to audience {audience!r}",
        )
    granted = available & requested if requested else available
    if not granted:
        raise InvalidScope(
            "none of the requested scopes is meant for this audience",
            detail=f"client {client.client_id} asked for {sorted(requested)} for {audience!r}",
        )
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
