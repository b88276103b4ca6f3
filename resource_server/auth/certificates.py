"""Certificate-bound access tokens at a resource server (RFC 8705 §3).

A token whose ``cnf`` names a certificate thumbprint (``x5t#S256``) is good only on a request
whose TLS client certificate has that thumbprint: otherwise it is ``invalid_token``, as a stolen
token must be. :class:`CertificateSource` finds the caller's certificate in a WSGI environ:

- the service serves TLS itself (gunicorn with ``AUTHSERVER_TLS_CA``): the certificate of the
  connection, from the socket gunicorn puts in the environ;
- a proxy terminates TLS and forwards the certificate in a header (nginx's
  ``$ssl_client_escaped_cert``, URL-encoded PEM; or RFC 9440's ``Client-Cert``): believed only
  from one of ``trusted_proxies``, and from those only the header counts (the certificate of
  the proxy's own connection is the proxy's).

Framework-free: the standard library and ``cryptography``.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from resource_server.auth import addresses
from resource_server.auth.errors import InvalidToken

THUMBPRINT = "x5t#S256"
# A client certificate of a few kilobytes; a header much longer is none.
MAX_HEADER_LENGTH = 16 * 1024
_PEM = "-----BEGIN CERTIFICATE-----"


def thumbprint(der: bytes) -> str:
    """RFC 8705 §3.1: base64url (no padding) of the SHA-256 of the DER certificate."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


Presented = bytes | None | Callable[[], bytes | None]


def check(claims: Mapping, certificate: Presented) -> None:
    """InvalidToken when the token is bound to a certificate other than ``certificate`` (DER;
    None: the request presented none; or a function that finds it, asked only for a bound
    token). An unbound token passes."""
    confirmation = claims.get("cnf")
    if confirmation is None:
        return
    if callable(certificate):
        certificate = certificate()
    expected = confirmation.get(THUMBPRINT) if isinstance(confirmation, Mapping) else None
    if expected is None and isinstance(confirmation, Mapping) and "jkt" in confirmation:
        return  # bound to a DPoP key only: the proof's check (dpop.py) is what holds it
    if not isinstance(expected, str):
        # A confirmation method this service cannot check proves nothing here.
        raise InvalidToken(
            "the access token is bound to a key this service cannot check",
            detail=f"cnf without {THUMBPRINT}",
        )
    if certificate is None:
        raise InvalidToken(
            "the access token is bound to a client certificate",
            detail="bound to a certificate, and none was presented",
        )
    if not hmac.compare_digest(thumbprint(certificate), expected):
        raise InvalidToken(
            "the access token is bound to another certificate",
            detail="bound to another certificate",
        )


@dataclass(frozen=True)
class CertificateSource:
    """Where the caller's certificate is found; ``header`` empty: never in a header."""

    header: str = ""
    trusted_proxies: tuple = ()  # ipaddress networks

    def presented(self, environ: Mapping) -> bytes | None:
        """The DER of the caller's certificate, or None."""
        if self.header and self._trusted(environ.get("REMOTE_ADDR")):
            return from_header(environ.get("HTTP_" + self.header.upper().replace("-", "_")))
        return from_socket(environ.get("gunicorn.socket"))

    def _trusted(self, address: str | None) -> bool:
        return addresses.within(address, self.trusted_proxies)


def from_socket(sock) -> bytes | None:
    """The peer certificate of a TLS socket (gunicorn's); a plain socket has none."""
    getpeercert = getattr(sock, "getpeercert", None)
    if getpeercert is None:
        return None
    try:
        return getpeercert(binary_form=True) or None
    except (ValueError, OSError):
        return None


def from_header(value: str | None) -> bytes | None:
    """The DER of a forwarded certificate: URL-encoded PEM, PEM, or RFC 9440's ``:base64:``;
    None when absent or unreadable."""
    value = (value or "").strip()
    if not value or len(value) > MAX_HEADER_LENGTH:
        return None
    try:
        if len(value) > 2 and value[0] == value[-1] == ":":
            der = base64.b64decode(value[1:-1], validate=True)
        else:
            text = unquote(value) if "%" in value else value
            if _PEM not in text:
                return None
            pem = text.replace("\t", "").encode("ascii")
            der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
        x509.load_der_x509_certificate(der)
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return der
