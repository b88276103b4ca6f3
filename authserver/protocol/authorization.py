"""The authorization endpoint's own checks and decisions (RFC 6749 §4.1.1, OIDC Core §3.1.2).

First the fatal checks: until the client and its redirect URI are known to be genuine, an error
is shown to the user, never redirected (RFC 6749 §4.1.2.1). Then the checks whose errors go back
to the client. oauthlib follows with grant type, PKCE and scope; last comes the decision whether
the user must log in, be asked for consent, or the code can be issued.

Plain values in: ``params`` maps each parameter name to its non-empty values, in order.
"""

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from accounts.models import Realm, UserSession
from accounts.realms import for_realm
from accounts.redirects import MAX_NEXT_LENGTH
from authserver.models import Client
from authserver.protocol import authentication_context, client_policies, consent, id_token_hint
from authserver.protocol import params as form_params
from authserver.protocol.errors import (
    ConsentRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)

Params = dict[str, list[str]]

# OAuth 2.0 Multiple Response Type Encoding Practices §2.1 (query, fragment) and the Form Post
# Response Mode. The code flow may ask for "fragment": keycloak-js does by default, so that the
# code never reaches the application's server in a query string or its logs.
RESPONSE_MODES = ("query", "fragment", "form_post")
# OIDC Core §3.1.2.1. One account per browser and realm: select_account needs no page.
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
MAX_CLIENT_ID_LENGTH = 255
# The stored code keeps the nonce in a column of this size.
MAX_NONCE_LENGTH = 255
# RFC 7636 §4.2: a code challenge is 43 to 128 unreserved characters.
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}", re.ASCII)
# A year in seconds is long enough for any max_age a client means.
_MAX_AGE = re.compile(r"[0-9]{1,9}", re.ASCII)
# RFC 9449 §10 dpop_jkt: an RFC 7638 SHA-256 thumbprint, base64url without padding.
_JKT = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)


def fatal(error: OAuthError) -> OAuthError:
    error.redirectable = False
    return error


def _only(params: Params, name: str) -> str | None:
    values = params.get(name, [])
    return values[0] if len(values) == 1 else None


# --- fatal: who is asking, and where may the answer go ------------------------------------------
@dataclass(frozen=True)
class Target:
    """Where, and how, answers to this authorization request may be sent."""

    client: Client
    redirect_uri: str
    state: str | None
    response_mode: str


def required_once(params: Params, name: str) -> str:
    values = params.get(name, [])
    if not values:
        raise fatal(InvalidRequest(f"Missing parameter: {name}"))
    if len(values) > 1:
        raise fatal(InvalidRequest(f"Repeated parameter: {name}"))
    return values[0]


def _client(realm: Realm, client_id: str) -> Client:
    client = None
    if len(client_id) <= MAX_CLIENT_ID_LENGTH and "\x00" not in client_id:
        client = for_realm(Client, realm).filter(client_id=client_id, enabled=True).first()
    if client is None:
        raise fatal(
            InvalidRequest("Client not found.", detail=f"unknown or disabled client {client_id!r}")
        )
    return client


def target(realm: Realm, params: Params) -> Target:
    """The client and the redirect URI registered for it, or a fatal error (RFC 6749 §3.1.2.4:
    a missing, unregistered or mismatched redirect URI is never redirected to)."""
    client = _client(realm, required_once(params, "client_id"))
    redirect_uri = required_once(params, "redirect_uri")
    if not client.redirect_uri_allowed(redirect_uri):
        raise fatal(
            InvalidRequest(
                "Invalid parameter: redirect_uri",
                detail=f"redirect_uri not registered for client {client.client_id}",
            )
        )
    state = _only(params, "state")
    if state is not None and (len(state) > form_params.MAX_VALUE_LENGTH or "\x00" in state):
        state = None
    mode = _only(params, "response_mode")
    return Target(client, redirect_uri, state, mode if mode in RESPONSE_MODES else "query")


# --- redirectable: is the request well formed ---------------------------------------------------
def _not_repeated(params: Params) -> None:
    form_params.check_not_repeated(params)


def _not_too_long(params: Params) -> None:
    form_params.check_lengths(params)


def _no_nul(params: Params) -> None:
    for name, values in params.items():
        if any("\x00" in value for value in values):
            raise InvalidRequest(f"Invalid parameter: {name}")


def _response_mode(params: Params) -> None:
    mode = _only(params, "response_mode")
    if "response_mode" in params and mode not in RESPONSE_MODES:
        raise InvalidRequest("Invalid parameter: response_mode")


def _response_type(params: Params) -> None:
    response_type = _only(params, "response_type")
    if response_type is None:
        raise InvalidRequest("Missing parameter: response_type")
    if response_type != "code":
        raise UnsupportedResponseType("Only response_type=code is supported.")


def _no_request_object(params: Params) -> None:
    if "request" in params:
        raise RequestNotSupported("Request objects are not supported.")
    if "request_uri" in params:
        raise RequestUriNotSupported("Request objects are not supported.")


def _prompt(params: Params) -> None:
    prompt = set((_only(params, "prompt") or "").split())
    if prompt - PROMPTS:
        raise InvalidRequest("Invalid parameter: prompt")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values.")


def _max_age(params: Params) -> None:
    max_age = _only(params, "max_age")
    if max_age is not None and not _MAX_AGE.fullmatch(max_age):
        raise InvalidRequest("Invalid parameter: max_age")


def _nonce(params: Params) -> None:
    nonce = _only(params, "nonce")
    if nonce is not None and len(nonce) > MAX_NONCE_LENGTH:
        raise InvalidRequest("Invalid parameter: nonce")


def _code_challenge(params: Params) -> None:
    challenge = _only(params, "code_challenge")
    if challenge is not None and not _CODE_CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("Invalid parameter: code_challenge")


def _dpop_jkt(params: Params) -> None:
    jkt = _only(params, "dpop_jkt")
    if jkt is not None and not _JKT.fullmatch(jkt):
        raise InvalidRequest("Invalid parameter: dpop_jkt")


_CHECKS = (
    _not_repeated,
    _not_too_long,
    _no_nul,
    _response_mode,
    _response_type,
    _no_request_object,
    _prompt,
    _max_age,
    _nonce,
    _code_challenge,
    _dpop_jkt,
)


def check_policies(client: Client, params: Params) -> None:
    """What the client's policies (client_policies: FAPI 2.0) require of its authorization
    requests, at the authorization and the pushed-authorization endpoints alike."""
    required = client_policies.requirements(client)
    if required is client_policies.NONE:
        return
    if required.confidential and client.is_public:
        raise UnauthorizedClient("Public clients are not allowed by the client policies.")
    if required.https_redirects and not (_only(params, "redirect_uri") or "").startswith(
        "https://"
    ):
        raise InvalidRequest("The client policies require an https redirect_uri.")
    if required.pkce_s256 and (
        _only(params, "code_challenge") is None or _only(params, "code_challenge_method") != "S256"
    ):
        raise InvalidRequest("PKCE with code_challenge_method=S256 is required.")
    algorithm = client.realm.default_signature_algorithm
    if required.algorithms is not None and algorithm not in required.algorithms:
        raise UnauthorizedClient(
            "The realm's signature algorithm is not allowed by the client policies.",
            detail=f"{client.client_id}: the realm signs with {algorithm}",
        )


@dataclass(frozen=True)
class Interaction:
    """What the request says about logging in and consenting (OIDC Core §3.1.2.1)."""

    prompt: frozenset[str]
    max_age: int | None
    login_hint: str
    # The subject of the id_token_hint: the user the client expects to be logged in.
    hinted_subject: str | None = None
    # acr_values asked for a second factor (authentication_context).
    second_factor: bool = False


def check(params: Params) -> Interaction:
    """The redirectable checks, in order; oauthlib checks grant type, PKCE and scopes next."""
    for each in _CHECKS:
        each(params)
    max_age = _only(params, "max_age")
    return Interaction(
        prompt=frozenset((_only(params, "prompt") or "").split()),
        max_age=int(max_age) if max_age is not None else None,
        login_hint=_only(params, "login_hint") or "",
        second_factor=authentication_context.asks_second_factor(_only(params, "acr_values")),
    )


def with_id_token_hint(
    interaction: Interaction, realm: Realm, client: Client, params: Params
) -> Interaction:
    """OIDC Core §3.1.2.1 id_token_hint: an ID token this realm issued to this client (expired
    or not) names the user the client expects. Another user logged in must log in again, or
    with prompt=none gets login_required; the hint's username pre-fills the login form."""
    token = _only(params, "id_token_hint")
    if token is None:
        return interaction
    hint = id_token_hint.claims(realm, token)
    if client.client_id not in id_token_hint.audiences(hint):
        raise InvalidRequest("id_token_hint was issued to another client")
    return replace(
        interaction,
        hinted_subject=str(hint.get("sub", "")),
        login_hint=interaction.login_hint or str(hint.get("preferred_username", "")),
    )


# --- the decision: log in, consent, or issue ------------------------------------------------------
class Step(enum.Enum):
    LOGIN = "login"
    CONSENT = "consent"
    ISSUE = "issue"


def is_too_old(session: UserSession, max_age: int | None, now: datetime) -> bool:
    """OIDC Core §3.1.2.1 max_age: the user last authenticated longer ago than allowed."""
    return max_age is not None and (now - session.started).total_seconds() > max_age


def must_authenticate(session: UserSession | None, interaction: Interaction, now) -> bool:
    return (
        session is None
        or "login" in interaction.prompt
        or is_too_old(session, interaction.max_age, now)
        or (interaction.second_factor and not authentication_context.is_multi_factor(session))
        or interaction.hinted_subject not in (None, str(session.user.subject))
    )


def next_step(
    *,
    session: UserSession | None,
    interaction: Interaction,
    client: Client,
    scopes: list[str],
    decided: bool,
    now: datetime,
) -> Step:
    """Where the request goes next; with ``prompt=none`` any page is an error instead."""
    silent = "none" in interaction.prompt
    if must_authenticate(session, interaction, now):
        if silent:
            raise LoginRequired("The user must log in.")
        return Step.LOGIN
    if not decided and consent.is_needed(client, session.user, scopes, prompt=interaction.prompt):
        if silent:
            raise ConsentRequired("The user must consent.")
        return Step.CONSENT
    return Step.ISSUE


def after_login(path: str, params: Params) -> str:
    """The authorization request to come back to once the user has logged in.

    ``prompt=login`` and ``max_age=0`` are satisfied by that login and are dropped, or they
    would send the user back to the login page forever.
    """
    pairs = []
    for name, values in params.items():
        value = values[0]
        if name == "prompt":
            value = " ".join(word for word in value.split() if word != "login")
        elif name == "max_age" and value.lstrip("0") == "":
            value = ""
        if value:
            pairs.append((name, value))
    url = f"{path}?{urlencode(pairs)}"
    if len(url) > MAX_NEXT_LENGTH:
        raise InvalidRequest("The authorization request is too long.")
    return url
