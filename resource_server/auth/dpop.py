"""DPoP (RFC 9449 §7): the proof that comes with a DPoP-bound access token, checked as a
resource server must.

A token whose ``cnf.jkt`` names a key (§6.1) is good only with ``Authorization: DPoP`` and a
``DPoP`` header holding a proof for this very request: a JWT of type ``dpop+jwt`` signed with
an asymmetric algorithm by the key in its own ``jwk`` header (a public key, whose RFC 7638
thumbprint is the token's ``cnf.jkt``), naming the request's method (``htm``) and URL (``htu``,
without query and fragment), made just now (``iat``), never seen before (``jti``, kept in a
cache shared by the service's workers while the proof could be accepted), and carrying the
token's hash (``ath``). Each check raises InvalidDPoPProof; the order is :meth:`check`'s.

Framework-free like the rest of the package: ``cryptography`` and the standard library.
"""

import base64
import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from resource_server.auth.errors import InvalidDPoPProof
from resource_server.auth.keys import b64url_decode

PROOF_TYPE = "dpop+jwt"
# RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used".
MIN_RSA_BITS = 2048
MAX_PROOF_LENGTH = 8192
MAX_JTI_LENGTH = 256
_CURVES = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
    "P-521": (ec.SECP521R1(), 66),
}
_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
# What a JWK's private half is made of (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# The asymmetric algorithms of RFC 7518 §3.3-3.5 and RFC 8037 §3.1, with the key type each
# signs with and, for elliptic curves, the curves.
ALGORITHMS = {
    "ES256": ("EC", {"P-256"}),
    "ES384": ("EC", {"P-384"}),
    "ES512": ("EC", {"P-521"}),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "EdDSA": ("OKP", {"Ed25519", "Ed448"}),
}


@dataclass(frozen=True)
class ProofRequest:
    """What a request that used the DPoP scheme brings for the check: its ``DPoP`` header,
    method and URL (as the client addressed it: the service's public URL)."""

    proof: str | None
    method: str
    url: str


# For a gateway in front of the service (resource_server/tokencheck): the token must be bound,
# and its proof is left to the service, which knows the request's URL and keeps the replay
# cache (a proof checked at both would be a replay at the second).
CHECKED_BY_THE_SERVICE = ProofRequest(proof=None, method="", url="")


class ProofChecker:
    """Checks proofs for one service; thread-safe, one per process.

    ``replay_cache`` has the ``add(key, value, timeout)`` of Django's cache (True when the key
    was new): Redis shared by the workers, or the package's TTLCache in one process.
    ``max_age_seconds`` is how long after its ``iat`` a proof is accepted, ``leeway_seconds``
    how far the client's clock may be from ours either way.
    """

    def __init__(
        self,
        *,
        replay_cache,
        max_age_seconds: float = 60,
        leeway_seconds: float = 10,
        clock: Callable[[], float] = time.time,
    ):
        self._replays = replay_cache
        self._max_age = max_age_seconds
        self._leeway = leeway_seconds
        self._clock = clock

    def check(self, request: ProofRequest, *, access_token: str, jkt: str) -> None:
        """RFC 9449 §4.3 and §7.1: ``request``'s proof for ``access_token``, bound to ``jkt``."""
        header, claims, signing_input, signature = _parse(request.proof)
        # A media type: compared without regard to case (RFC 7515 §4.1.9).
        if str(header.get("typ", "")).lower() != PROOF_TYPE:
            raise InvalidDPoPProof(detail=f"typ {header.get('typ')!r}")
        if "crit" in header:
            raise InvalidDPoPProof(detail="crit header present")
        alg, member = header.get("alg"), header.get("jwk")
        verify = _verifier(alg, member)
        if not verify(signing_input, signature):
            raise InvalidDPoPProof(detail=f"bad {alg} signature")
        if not _equal(thumbprint(member), jkt):
            raise InvalidDPoPProof(
                "the DPoP proof's key is not the one the access token is bound to",
                detail="proof key does not match cnf.jkt",
            )
        now = self._clock()
        _check_claims(claims, request, access_token)
        iat = claims.get("iat")
        if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
            raise InvalidDPoPProof(detail=f"iat {iat!r}")
        if iat > now + self._leeway or iat < now - self._max_age - self._leeway:
            raise InvalidDPoPProof(
                "the DPoP proof is not recent: check the clock", detail=f"iat {iat} at {now}"
            )
        self._check_unused(jkt, claims["jti"])

    def _check_unused(self, jkt: str, jti: str) -> None:
        digest = hashlib.sha256(f"{jkt}:{jti}".encode("utf-8", "surrogatepass")).hexdigest()
        timeout = self._max_age + 2 * self._leeway
        if not self._replays.add(f"dpop-jti:{digest}", 1, timeout):
            raise InvalidDPoPProof("the DPoP proof was used before", detail="jti replayed")


def thumbprint(member: dict) -> str:
    """RFC 7638: base64url of the SHA-256 of the key's required members, in order, as JSON
    without whitespace."""
    kty = member.get("kty")
    names = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    required = {name: member.get(name) for name in names.get(kty, ())}
    text = json.dumps(required, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return _b64url(digest)


def access_token_hash(token: str) -> str:
    """§4.2 ``ath``: base64url of the SHA-256 of the access token."""
    return _b64url(hashlib.sha256(token.encode("ascii", "replace")).digest())


# --- the pieces ---------------------------------------------------------------------------------
def _parse(proof: str | None) -> tuple[dict, dict, bytes, bytes]:
    if not proof:
        raise InvalidDPoPProof("a DPoP proof is required", detail="no DPoP header")
    if "," in proof or len(proof) > MAX_PROOF_LENGTH:
        raise InvalidDPoPProof("send one DPoP proof", detail="several DPoP headers, or too long")
    parts = proof.split(".")
    if len(parts) != 3:
        raise InvalidDPoPProof(detail="not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, RecursionError):
        raise InvalidDPoPProof(detail="undecodable proof") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidDPoPProof(detail="header or claims are not JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _verifier(alg, member) -> Callable[[bytes, bytes], bool]:
    """The signature check of ``alg`` with the public key ``member``; refusals for a symmetric
    or unknown algorithm, a key that does not fit it, or a private key."""
    if alg not in ALGORITHMS:
        raise InvalidDPoPProof(
            "the DPoP proof must be signed with an asymmetric algorithm", detail=f"alg {alg!r}"
        )
    if not isinstance(member, dict):
        raise InvalidDPoPProof("the DPoP proof has no jwk header", detail="no jwk")
    if _PRIVATE_MEMBERS & member.keys():
        raise InvalidDPoPProof("the DPoP proof's jwk must be a public key", detail="private jwk")
    kty, curves = ALGORITHMS[alg]
    if member.get("kty") != kty or (curves is not None and member.get("crv") not in curves):
        raise InvalidDPoPProof(
            "the DPoP proof's jwk does not fit its alg",
            detail=f"{alg} with kty {member.get('kty')!r} crv {member.get('crv')!r}",
        )
    try:
        if kty == "EC":
            return _ec_verifier(alg, member)
        if kty == "RSA":
            return _rsa_verifier(alg, member)
        return _okp_verifier(member)
    except (ValueError, TypeError, KeyError) as error:
        raise InvalidDPoPProof(
            "the DPoP proof's jwk is unreadable", detail=f"jwk: {error}"
        ) from None


def _ec_verifier(alg: str, member: dict):
    curve, size = _CURVES[member["crv"]]
    # Raises ValueError for a point not on the curve (invalid-curve attacks).
    key = ec.EllipticCurvePublicNumbers(
        _integer(member, "x"), _integer(member, "y"), curve
    ).public_key()
    algorithm = ec.ECDSA(_HASHES[alg[2:]]())

    def verify(signing_input: bytes, signature: bytes) -> bool:
        # RFC 7518 §3.4: R and S, each as long as the curve's order, not DER.
        if len(signature) != 2 * size:
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        try:
            key.verify(encode_dss_signature(r, s), signing_input, algorithm)
        except InvalidSignature:
            return False
        return True

    return verify


def _rsa_verifier(alg: str, member: dict):
    n, e = _integer(member, "n"), _integer(member, "e")
    if n.bit_length() < MIN_RSA_BITS:
        raise InvalidDPoPProof(
            "the DPoP proof's RSA key is too short", detail=f"{n.bit_length()}-bit key"
        )
    key = rsa.RSAPublicNumbers(e, n).public_key()
    digest = _HASHES[alg[2:]]()
    if alg.startswith("PS"):
        # RFC 7518 §3.5: the salt is as long as the hash.
        scheme = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    else:
        scheme = padding.PKCS1v15()

    def verify(signing_input: bytes, signature: bytes) -> bool:
        try:
            key.verify(signature, signing_input, scheme, digest)
        except InvalidSignature:
            return False
        return True

    return verify


def _okp_verifier(member: dict):
    raw = b64url_decode(_string(member, "x"))
    if member["crv"] == "Ed25519":
        key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
    else:
        key = ed448.Ed448PublicKey.from_public_bytes(raw)

    def verify(signing_input: bytes, signature: bytes) -> bool:
        try:
            key.verify(signature, signing_input)
        except InvalidSignature:
            return False
        return True

    return verify


def _check_claims(claims: dict, request: ProofRequest, access_token: str) -> None:
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise InvalidDPoPProof(detail="jti missing or too long")
    if claims.get("htm") != request.method:
        raise InvalidDPoPProof(
            "the DPoP proof's htm is not the request's method",
            detail=f"htm {claims.get('htm')!r} for {request.method}",
        )
    htu = claims.get("htu")
    if not isinstance(htu, str) or _normalized(htu) != _normalized(request.url):
        raise InvalidDPoPProof(
            "the DPoP proof's htu is not the request's URL",
            detail=f"htu {htu!r} for {request.url}",
        )
    if not _equal(str(claims.get("ath", "")), access_token_hash(access_token)):
        raise InvalidDPoPProof(
            "the DPoP proof's ath is not the access token's hash", detail="ath mismatch"
        )


def _normalized(url: str) -> tuple | None:
    """§4.3 step 9: without query and fragment; scheme and host in lower case, the default
    port left out (RFC 3986 §6.2.2, §6.2.3)."""
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


def _integer(member: dict, name: str) -> int:
    return int.from_bytes(b64url_decode(_string(member, name)), "big")


def _string(member: dict, name: str) -> str:
    value = member.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing {name}")
    return value


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))
