"""DPoP (RFC 9449): a client proves with each request that it holds the private key its tokens
are bound to.

A proof is a JWT the client signs for one request and sends in the ``DPoP`` header: its header
carries the public key (``jwk``), its claims the request's method (``htm``) and URL (``htu``),
when it was made (``iat``), a unique ``jti`` and, presented with an access token, the token's
hash (``ath``). ``check_proof`` runs the checks of §4.3 in order, each refusal one
``invalid_dpop_proof``. Each ``jti`` is accepted once, remembered in the store every worker sees
for as long as its proof could be accepted.

At the token endpoint (§5) a proof binds what is issued to its key: the access token carries
``cnf.jkt``, the key's RFC 7638 thumbprint (§6.1), and ``token_type`` is ``DPoP``; a public
client's refresh token is bound too, and refreshing it needs a proof with the same key. A code
issued for an authorization request with ``dpop_jkt`` (§10) is exchanged only with that key.
Keycloak's client attribute ``dpop.bound.access.tokens`` = ``true`` makes a proof required.

Nonces (§8, §9): every answer to a request carrying a proof offers a fresh ``DPoP-Nonce``; a
client whose attribute ``dpop.nonce.required`` is ``true`` must put one in its proofs, else
``use_dpop_nonce``. A nonce is an HMAC of the realm and the current minute under the server's
secret key: every process can check it, and nothing is written.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import constant_time_compare, salted_hmac
from jwcrypto.common import JWException, base64url_encode
from jwcrypto.jwk import JWK
from oauthlib.oauth2.rfc6749 import errors as oauthlib_errors

from accounts.models import Realm
from authserver.protocol import client_policies, jwt
from authserver.protocol.backend import REALM
from authserver.protocol.errors import InvalidDPoPProof, OAuthError, UseDPoPNonce

log = logging.getLogger(__name__)

HEADER = "DPoP"
# The header as the WSGI environ (and so oauthlib's request) names it.
ENVIRON_HEADER = "HTTP_DPOP"
NONCE_HEADER = "DPoP-Nonce"
TOKEN_TYPE = "DPoP"
PROOF_TYPE = "dpop+jwt"
# Keycloak's client attribute: the client must send a proof with every token request.
REQUIRED_ATTRIBUTE = "dpop.bound.access.tokens"
# The client's proofs must carry a nonce of ours.
NONCE_ATTRIBUTE = "dpop.nonce.required"
# §4.2 "alg": asymmetric algorithms only, each with the key type (and curves) it signs with.
ALGORITHMS = {
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}
# RFC 7518 §3.3, §3.5: "A key of size 2048 bits or larger MUST be used".
MIN_RSA_BITS = 2048
# §11.1: a proof is accepted this long after its iat, and the client's clock may be this far
# from ours either way.
MAX_AGE = 60
LEEWAY = 10
# A nonce is good in the minute it was made and the next (and one ahead, for a process whose
# clock runs a little fast).
NONCE_SECONDS = 60
# A proof is a few hundred bytes; an RSA key of 4096 bits makes it about 1.5 KB.
MAX_PROOF_LENGTH = 8192
MAX_JTI_LENGTH = 256
# What a JWK's private half is made of (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# The attribute the token request's proven thumbprint is kept under on oauthlib's request.
_JKT = "dpop_proven_jkt"


@dataclass(frozen=True)
class Proof:
    """A proof that passed every check: its key's thumbprint and its claims."""

    jkt: str
    claims: dict


def required(client) -> bool:
    """Keycloak's ``dpop.bound.access.tokens``, or the client's policies (FAPI 2.0): the
    client's token requests need a proof."""
    return _switched_on(client, REQUIRED_ATTRIBUTE) or client_policies.requires_dpop(client)


def nonce_required(client) -> bool:
    """The client's proofs must carry a nonce we gave (§8)."""
    return _switched_on(client, NONCE_ATTRIBUTE)


def _switched_on(client, attribute: str) -> bool:
    # Asked of every token request: most clients have no such attribute at all.
    value = client.attributes.get(attribute)
    return value is not None and str(value).lower() == "true"


def endpoint(realm: Realm, name: str) -> str:
    """The URL a proof for one of the realm's endpoints names in ``htu``: the public one, from
    the issuer (AUTHSERVER_URL), never from the request's Host header."""
    return f"{realm.issuer}/protocol/openid-connect/{name}"


def access_token_hash(token: str) -> str:
    """§4.2 ``ath``: base64url of the SHA-256 of the access token's ASCII."""
    return base64url_encode(hashlib.sha256(token.encode("ascii", "replace")).digest())


# --- the proof (§4.3) ---------------------------------------------------------------------------
def check_proof(
    realm: Realm,
    value: str | None,
    *,
    method: str,
    url: str,
    access_token: str | None = None,
    nonce_required: bool = False,
    now: float | None = None,
) -> Proof:
    """The proof ``value`` of a request ``method`` to ``url`` (with ``access_token`` when one is
    presented); InvalidDPoPProof, or UseDPoPNonce when a nonce is due, otherwise."""
    now = time.time() if now is None else now
    if not value:
        raise InvalidDPoPProof("a DPoP proof is required", detail="no DPoP header")
    if "," in value or len(value) > MAX_PROOF_LENGTH:
        # Several DPoP headers arrive joined by commas, which a compact JWS never holds.
        raise InvalidDPoPProof("send one DPoP proof", detail="several DPoP headers, or too long")
    keys: list[JWK] = []
    try:
        claims = jwt.verified_claims(value, _proof_key(keys), typ=PROOF_TYPE)
    except jwt.BadToken as error:
        raise InvalidDPoPProof("the DPoP proof is invalid", detail=f"proof: {error}") from None
    _check_claims(claims, method=method, url=url, access_token=access_token, now=now)
    if nonce_required:
        _check_nonce(realm, claims.get("nonce"), now)
    jkt = keys[0].thumbprint()
    _check_unused(realm, jkt, claims["jti"], now)
    return Proof(jkt=jkt, claims=claims)


def _proof_key(found: list):
    """jwt.verified_claims' key finder for a proof: the public key of its ``jwk`` header, if
    its ``alg`` is one of ours and fits the key (kept in ``found`` for its thumbprint)."""

    def key_for(header: dict) -> JWK:
        alg, member = header.get("alg"), header.get("jwk")
        if alg not in ALGORITHMS:
            raise InvalidDPoPProof(
                "the DPoP proof must be signed with an asymmetric algorithm",
                detail=f"proof alg {alg!r}",
            )
        if not isinstance(member, dict):
            raise InvalidDPoPProof("the DPoP proof has no jwk header", detail="no jwk")
        if _PRIVATE_MEMBERS & member.keys():
            raise InvalidDPoPProof(
                "the DPoP proof's jwk must be a public key", detail="private key in jwk"
            )
        kty, curves = ALGORITHMS[alg]
        if member.get("kty") != kty or (curves is not None and member.get("crv") not in curves):
            raise InvalidDPoPProof(
                "the DPoP proof's jwk does not fit its alg",
                detail=f"{alg} with kty {member.get('kty')!r} crv {member.get('crv')!r}",
            )
        try:
            key = JWK(**member)
            size = key.get_op_key("verify").key_size if kty == "RSA" else None
        except (JWException, ValueError, TypeError, KeyError, AttributeError) as error:
            raise InvalidDPoPProof(
                "the DPoP proof's jwk is unreadable", detail=f"jwk: {error}"
            ) from None
        if size is not None and size < MIN_RSA_BITS:
            raise InvalidDPoPProof(
                "the DPoP proof's RSA key is too short", detail=f"{size}-bit key"
            )
        found.append(key)
        return key

    return key_for


def _check_claims(claims: dict, *, method: str, url: str, access_token: str | None, now: float):
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise InvalidDPoPProof("the DPoP proof has no jti", detail="jti missing or too long")
    if claims.get("htm") != method:
        raise InvalidDPoPProof(
            "the DPoP proof's htm is not the request's method",
            detail=f"htm {claims.get('htm')!r} for {method}",
        )
    htu = claims.get("htu")
    if not isinstance(htu, str) or _normalized(htu) != _normalized(url):
        raise InvalidDPoPProof(
            "the DPoP proof's htu is not the request's URL", detail=f"htu {htu!r} for {url}"
        )
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
        raise InvalidDPoPProof("the DPoP proof has no iat", detail=f"iat {iat!r}")
    if iat > now + LEEWAY or iat < now - MAX_AGE - LEEWAY:
        raise InvalidDPoPProof(
            "the DPoP proof is not recent: check the clock", detail=f"iat {iat} at {int(now)}"
        )
    if access_token is not None and not constant_time_compare(
        str(claims.get("ath", "")), access_token_hash(access_token)
    ):
        raise InvalidDPoPProof(
            "the DPoP proof's ath is not the access token's hash", detail="ath mismatch"
        )


def _normalized(url: str) -> tuple | None:
    """§4.3 step 9: the URL without query and fragment, scheme and host in lower case, the
    default port left out (RFC 3986 §6.2.2, §6.2.3)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if port == {"http": 80, "https": 443}[scheme]:
        port = None
    return scheme, parts.hostname.lower(), port, parts.path or "/"


def _check_unused(realm: Realm, jkt: str, jti: str, now: float) -> None:
    """§11.1: each proof once. Its jti (per key, so that two clients cannot collide) is kept
    for as long as the proof could be accepted, in the store every worker sees."""
    digest = hashlib.sha256(f"{jkt}:{jti}".encode("utf-8", "surrogatepass")).hexdigest()
    if not caches["shared"].add(f"dpop-jti:{realm.pk}:{digest}", 1, MAX_AGE + 2 * LEEWAY):
        raise InvalidDPoPProof("the DPoP proof was used before", detail="jti replayed")


# --- nonces (§8, §9) ----------------------------------------------------------------------------
def nonce(realm: Realm, now: float | None = None) -> str:
    """A nonce for the realm's proofs, good for a minute or two."""
    now = time.time() if now is None else now
    return _nonce(realm, int(now // NONCE_SECONDS), settings.SECRET_KEY)


def _nonce(realm: Realm, step: int, secret: str) -> str:
    salt = f"authserver.dpop-nonce.{realm.pk}"
    mac = salted_hmac(salt, str(step), secret=secret, algorithm="sha256").digest()
    return base64url_encode(mac[:24])


def _check_nonce(realm: Realm, given, now: float) -> None:
    fresh = nonce(realm, now)
    if not isinstance(given, str) or not given:
        raise UseDPoPNonce("a DPoP nonce is required", detail="proof without nonce", nonce=fresh)
    step = int(now // NONCE_SECONDS)
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    for secret in secrets:
        for each in (step, step - 1, step + 1):
            if constant_time_compare(given, _nonce(realm, each, secret)):
                return
    raise UseDPoPNonce(
        "the DPoP nonce is stale or unknown", detail="proof with a bad nonce", nonce=fresh
    )


# --- the token endpoint (§5, §10) ----------------------------------------------------------------
def check_token_request(request) -> None:
    """Once the token request's client is known, before any grant is looked at (so that a code
    is not spent by a request that must be sent again with a nonce): its proof, if it sent one
    or must. The proven key is left on the request for what is issued (``confirmation``)."""
    value = request.headers.get(ENVIRON_HEADER)
    client = request.client
    if value is None:
        if required(client):
            raise _refusal(InvalidDPoPProof("this client must send a DPoP proof"), request)
        return
    realm = request.headers[REALM]
    try:
        proof = check_proof(
            realm,
            value,
            method=request.http_method,
            url=endpoint(realm, "token"),
            nonce_required=nonce_required(client),
        )
    except OAuthError as error:
        raise _refusal(error, request) from None
    setattr(request, _JKT, proof.jkt)
    # RFC 9449 §5: the token response says the access token is bound.
    request.extra_credentials = {**(request.extra_credentials or {}), "token_type": TOKEN_TYPE}


def pushed_key(realm: Realm, client, value: str, *, named: str | None) -> str:
    """§10.1: a pushed authorization request with a proof binds its code to the proof's key;
    a ``dpop_jkt`` it names too must be that key's thumbprint."""
    proof = check_proof(
        realm,
        value,
        method="POST",
        url=endpoint(realm, "ext/par/request"),
        nonce_required=nonce_required(client),
    )
    if named is not None and not constant_time_compare(named, proof.jkt):
        raise InvalidDPoPProof(
            "dpop_jkt is not the thumbprint of the DPoP proof's key", detail="dpop_jkt mismatch"
        )
    return proof.jkt


def proven_key(request) -> str | None:
    """The thumbprint the token request proved, or None. Read from the request's own
    attributes: oauthlib's request answers any other name with a form parameter of that name."""
    return vars(request).get(_JKT)


def confirmation(request) -> dict | None:
    """RFC 9449 §6.1: the access token's ``cnf`` when the request proved a key."""
    jkt = vars(request).get(_JKT)
    return {"jkt": jkt} if jkt else None


def refresh_confirmation(request) -> dict | None:
    """§5: a public client's refresh token is bound to the key too; a confidential client's is
    not (it authenticates), only its access tokens are."""
    jkt = vars(request).get(_JKT)
    return {"jkt": jkt} if jkt and request.client.is_public else None


def bound_key(claims: dict) -> str | None:
    """The thumbprint a token (or code) is bound to (``cnf.jkt``), or None."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def check_binding(bound: str | None, request, *, what: str) -> None:
    """``what`` (a refresh token, a code) bound to ``bound`` may be used only with a proof of
    that key."""
    if not bound:
        return
    proven = proven_key(request)
    if proven is None:
        raise _refusal(
            InvalidDPoPProof(f"the {what} is bound to a DPoP key: send a proof"), request
        )
    if not constant_time_compare(bound, proven):
        raise _refusal(
            InvalidDPoPProof(
                f"the DPoP proof's key is not the one the {what} is bound to",
                detail=f"{what} bound to another key",
            ),
            request,
        )


class _TokenEndpointError(oauthlib_errors.CustomOAuth2Error):
    """Our error as oauthlib's grants return errors."""


def _refusal(error: OAuthError, request) -> oauthlib_errors.OAuth2Error:
    if error.detail:
        log.info("%s: %s", error.error, error.detail)
    return _TokenEndpointError(
        error=error.error,
        description=error.description,
        status_code=error.status,
        request=request,
    )
