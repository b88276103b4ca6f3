"""The client's TLS certificate (RFC 8705 §1): where it comes from, and what it is.

Two sources, one answer per request:

- gunicorn terminates TLS itself (``AUTHSERVER_TLS_CERT`` with ``AUTHSERVER_TLS_CA``): the
  certificate of the connection, from the socket gunicorn puts in the WSGI environ;
- a proxy terminates TLS (nginx's ``ssl_verify_client optional_no_ca``) and sends the certificate
  in a header (``AUTHSERVER_MTLS_CERT_HEADER``): believed only when the direct peer is one of the
  trusted proxies (``AUTHSERVER_FORWARDED_ALLOW_IPS``). From such a peer only the header counts:
  a certificate on the proxy's own connection is the proxy's, not the client's.

The header holds the certificate as nginx's ``$ssl_client_escaped_cert`` gives it (URL-encoded
PEM), as PEM, or as RFC 9440's ``Client-Cert`` field (``:base64 DER:``). Nothing here says the
certificate is trustworthy: protocol/mtls.py decides that for each client.
"""

import base64
import binascii
import functools
import hashlib
import logging
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from accounts.addresses import is_trusted_proxy

log = logging.getLogger(__name__)

# Where a request's certificate is kept once looked for (None: it has none).
_FOUND = "authserver.client_certificate"
# A certificate of a few kilobytes; a header much longer is no certificate of a client.
MAX_HEADER_LENGTH = 16 * 1024
_PEM_BEGIN = "-----BEGIN CERTIFICATE-----"


class Certificate:
    """A presented certificate: its DER, parsed when first needed."""

    def __init__(self, der: bytes):
        self.der = der

    @functools.cached_property
    def parsed(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    @functools.cached_property
    def thumbprint(self) -> str:
        """RFC 8705 §3.1: the base64url SHA-256 of the DER, without padding (``x5t#S256``)."""
        digest = hashlib.sha256(self.der).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Connection:
    """A request's connection, whose certificate is looked for when first asked. What
    oauthlib is given it copies, converting every value of a mapping: the environ travels in
    this, which it leaves alone."""

    __slots__ = ("_environ",)

    def __init__(self, environ):
        self._environ = environ

    def certificate(self) -> Certificate | None:
        return presented(self._environ)


def presented(environ) -> Certificate | None:
    """The certificate the client of this request presented, or None."""
    if _FOUND in environ:
        return environ[_FOUND]
    found = _read(environ)
    environ[_FOUND] = found
    return found


def _read(environ) -> Certificate | None:
    header = settings.AUTHSERVER_MTLS_CERT_HEADER
    if header and is_trusted_proxy(environ.get("REMOTE_ADDR") or ""):
        return from_header(environ.get(_meta_name(header)))
    return _from_socket(environ.get("gunicorn.socket"))


def _meta_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def _from_socket(sock) -> Certificate | None:
    """The peer certificate of gunicorn's TLS socket; a plain socket has none."""
    getpeercert = getattr(sock, "getpeercert", None)
    if getpeercert is None:
        return None
    try:
        der = getpeercert(binary_form=True)
    except (ValueError, OSError):  # not connected, or no handshake
        return None
    return _parsed(der) if der else None


def from_header(value: str | None) -> Certificate | None:
    """The certificate a trusted proxy forwarded, or None (none sent, or unreadable: logged)."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_HEADER_LENGTH:
        log.warning("client certificate header of %s characters ignored", len(value))
        return None
    der = _der_of_header(value)
    return _parsed(der) if der else None


def _der_of_header(value: str) -> bytes | None:
    try:
        if value.startswith(":") and value.endswith(":") and len(value) > 2:
            return base64.b64decode(value[1:-1], validate=True)  # RFC 9440 §2.2
        text = unquote(value) if "%" in value else value
        if _PEM_BEGIN in text:
            cert = x509.load_pem_x509_certificate(text.replace("\t", "").encode("ascii"))
            return cert.public_bytes(Encoding.DER)
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error, UnicodeError):
        log.warning("client certificate header ignored: not PEM or base64 DER")
        return None


def _parsed(der: bytes) -> Certificate | None:
    """The certificate, if its DER is one (parsed now: a malformed one is no certificate)."""
    certificate = Certificate(bytes(der))
    try:
        certificate.parsed  # noqa: B018 - parse now
    except ValueError:
        log.warning("client certificate ignored: not a DER X.509 certificate")
        return None
    return certificate
