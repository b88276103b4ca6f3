"""Mutual-TLS client authentication (RFC 8705 §2): the client proves who it is with the
certificate of its TLS connection (protocol/certificates.py says where that comes from).

Two methods, chosen per client by Keycloak's ``clientAuthenticatorType``:

- ``client-x509``, ``tls_client_auth`` (§2.1): the certificate chains to a CA this server trusts
  (``AUTHSERVER_MTLS_CA``; checked here, whatever the TLS terminator checked) and names the
  client as it registered: its subject DN (Keycloak's ``x509.subjectdn``, a regular expression
  unless ``x509.allow.regex.pattern.comparison`` is ``false``), or one subject alternative name
  (§2.1.2's ``tls_client_auth_san_dns``, ``_uri``, ``_ip``, ``_email``, kept as ``x509.san.*``).
  Keycloak's ``x509.casubjectdn``, when set, names the CA that must have issued it.
- ``client-self-signed-x509``, ``self_signed_tls_client_auth`` (§2.2): the certificate is one
  the client registered (the first ``x5c`` certificate of a key in its ``jwks.string``); no
  chain is checked.

The client names itself with ``client_id`` and sends no other credential.
"""

import base64
import binascii
import datetime
import functools
import ipaddress
import json
import logging
import re

from cryptography import x509
from cryptography.x509 import verification
from django.conf import settings

from authserver.models import (
    CERTIFICATE_BOUND_TOKENS_ATTRIBUTE,
    SELF_SIGNED_X509_AUTHENTICATOR,
    X509_AUTHENTICATOR,
    Client,
)
from authserver.protocol import distinguished_names
from authserver.protocol.certificates import Certificate

log = logging.getLogger(__name__)

TLS_CLIENT_AUTH = "tls_client_auth"
SELF_SIGNED_TLS_CLIENT_AUTH = "self_signed_tls_client_auth"
# Discovery's names of the two authenticators.
METHODS = {
    X509_AUTHENTICATOR: TLS_CLIENT_AUTH,
    SELF_SIGNED_X509_AUTHENTICATOR: SELF_SIGNED_TLS_CLIENT_AUTH,
}

SUBJECT_DN_ATTRIBUTE = "x509.subjectdn"
REGEX_ATTRIBUTE = "x509.allow.regex.pattern.comparison"
CA_SUBJECT_DN_ATTRIBUTE = "x509.casubjectdn"
# RFC 8705 §2.1.2's metadata, and the client attribute that keeps each.
SAN_ATTRIBUTES = {
    "tls_client_auth_san_dns": "x509.san.dns",
    "tls_client_auth_san_uri": "x509.san.uri",
    "tls_client_auth_san_ip": "x509.san.ip",
    "tls_client_auth_san_email": "x509.san.email",
}
JWKS_ATTRIBUTE = "jwks.string"


# --- what the server offers -----------------------------------------------------------------
def enabled() -> bool:
    """Whether client certificates reach this server: gunicorn asks for them
    (``AUTHSERVER_TLS_CA``), or a trusted proxy forwards them (``AUTHSERVER_MTLS_CERT_HEADER``)."""
    return settings.AUTHSERVER_MTLS_ENABLED


def methods() -> list[str]:
    """The mTLS authentication methods on offer (discovery): tls_client_auth needs a CA."""
    if not enabled():
        return []
    offered = [SELF_SIGNED_TLS_CLIENT_AUTH]
    if settings.AUTHSERVER_MTLS_CA:
        offered.insert(0, TLS_CLIENT_AUTH)
    return offered


# --- authentication ---------------------------------------------------------------------------
def refusal(client: Client, certificate: Certificate | None) -> str | None:
    """Why ``certificate`` does not authenticate ``client`` (for the log), or None."""
    if certificate is None:
        return "no client certificate was presented"
    if not enabled():
        return "mutual TLS is not configured (AUTHSERVER_TLS_CA, AUTHSERVER_MTLS_CERT_HEADER)"
    if client.authenticator == SELF_SIGNED_X509_AUTHENTICATOR:
        if certificate.der not in registered_certificates(client):
            return "the certificate is not one the client registered"
        return None
    reason = _chain_refusal(client, certificate)
    return reason or _identity_refusal(client, certificate.parsed)


def _chain_refusal(client: Client, certificate: Certificate) -> str | None:
    store = trust_store(settings.AUTHSERVER_MTLS_CA)
    if store is None:
        return "no CA for tls_client_auth (AUTHSERVER_MTLS_CA)"
    verifier = (
        verification.PolicyBuilder()
        .store(store)
        .time(datetime.datetime.now(tz=datetime.UTC))
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_CLIENT_POLICY)
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(certificate.parsed, [])
    except verification.VerificationError as error:
        return f"the certificate does not chain to AUTHSERVER_MTLS_CA: {error}"
    issuer_dn = client.attributes.get(CA_SUBJECT_DN_ATTRIBUTE)
    if issuer_dn and not distinguished_names.same(issuer_dn, verified.chain[-1].subject):
        return f"the certificate's CA is not {issuer_dn!r}"
    return None


# A client certificate need not name a host: Python's and nginx's checks do not ask for a
# subject alternative name, and neither does this one (webpki's client policy would).
_CA_POLICY = verification.ExtensionPolicy.webpki_defaults_ca()
_CLIENT_POLICY = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None
)


@functools.lru_cache(maxsize=4)
def trust_store(path: str) -> verification.Store | None:
    """The CAs of the PEM file at ``path``, read once per process (a new CA takes a restart, as
    gunicorn's own); None without a readable one (a system check says so at startup)."""
    if not path:
        return None
    try:
        with open(path, "rb") as file:
            return verification.Store(x509.load_pem_x509_certificates(file.read()))
    except (OSError, ValueError) as error:
        log.error("AUTHSERVER_MTLS_CA %s is unusable: %s", path, error)
        return None


def _identity_refusal(client: Client, certificate: x509.Certificate) -> str | None:
    """§2.1.2: the subject DN, or the SAN, the client registered; every one registered must
    match, and one at least must be."""
    attributes = client.attributes
    checked = False
    subject = attributes.get(SUBJECT_DN_ATTRIBUTE)
    if subject:
        checked = True
        if not subject_matches(subject, certificate.subject, regex=regex_allowed(attributes)):
            return f"subject {certificate.subject.rfc4514_string()!r} does not match {subject!r}"
    for kind, attribute in SAN_ATTRIBUTES.items():
        expected = attributes.get(attribute)
        if expected:
            checked = True
            if not _san_matches(kind, expected, certificate):
                return f"no {kind.removeprefix('tls_client_auth_')} {expected!r} in the certificate"
    return None if checked else "the client registered no subject DN or SAN to match"


def regex_allowed(attributes: dict) -> bool:
    """Keycloak's rule: a regular expression unless the attribute says "false" (absent, it is one,
    as in Keycloak's clients made before the attribute existed)."""
    return str(attributes.get(REGEX_ATTRIBUTE, "true")).lower() != "false"


def subject_matches(registered: str, subject: x509.Name, *, regex: bool) -> bool:
    if not regex:
        return distinguished_names.same(registered, subject)
    pattern = _pattern(registered)
    return pattern is not None and any(
        pattern.fullmatch(spelling) for spelling in distinguished_names.spellings(subject)
    )


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern | None:
    try:
        return re.compile(text)
    except re.error:
        log.warning("the registered subject DN pattern %r is not a regular expression", text)
        return None


def _san_matches(kind: str, expected: str, certificate: x509.Certificate) -> bool:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if kind == "tls_client_auth_san_dns":
        return expected.lower().rstrip(".") in {
            name.lower().rstrip(".") for name in names.get_values_for_type(x509.DNSName)
        }
    if kind == "tls_client_auth_san_uri":
        return expected in names.get_values_for_type(x509.UniformResourceIdentifier)
    if kind == "tls_client_auth_san_ip":
        try:
            return ipaddress.ip_address(expected) in names.get_values_for_type(x509.IPAddress)
        except ValueError:
            return False
    return _email(expected) in {_email(name) for name in names.get_values_for_type(x509.RFC822Name)}


def _email(address: str) -> str:
    """The local part as it is, the domain in any case."""
    local, at, domain = address.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else address


def registered_certificates(client: Client) -> frozenset[bytes]:
    """The DER of each certificate a self-signed client registered: the first of each key's
    ``x5c`` in its JWK Set (RFC 8705 §2.2.2, RFC 7517 §4.7)."""
    raw = client.attributes.get(JWKS_ATTRIBUTE)
    if not raw:
        return frozenset()
    return _certificates_of(raw if isinstance(raw, str) else json.dumps(raw))


@functools.lru_cache(maxsize=1024)
def _certificates_of(raw: str) -> frozenset[bytes]:
    try:
        keys = json.loads(raw).get("keys", [])
    except (ValueError, AttributeError):
        return frozenset()
    found = set()
    for key in keys if isinstance(keys, list) else []:
        chain = key.get("x5c") if isinstance(key, dict) else None
        if isinstance(chain, list) and chain and isinstance(chain[0], str):
            try:
                found.add(base64.b64decode(chain[0], validate=True))
            except (binascii.Error, ValueError):
                continue
    return frozenset(found)


# --- what a client may register -------------------------------------------------------------
def registration_problems(authenticator: str, attributes: dict) -> dict[str, str]:
    """What is wrong with a client's mTLS settings, by attribute (the console, the admin API
    and the realm file ask alike); empty when nothing is. The names to match are judged only
    for a client that authenticates with them."""
    problems = {}
    # As Keycloak writes them: the token endpoint compares the bound-tokens flag as it is.
    for flag in (CERTIFICATE_BOUND_TOKENS_ATTRIBUTE, REGEX_ATTRIBUTE):
        value = attributes.get(flag)
        if value is not None and value not in ("true", "false"):
            problems[flag] = 'is "true" or "false"'
    if authenticator == X509_AUTHENTICATOR:
        problems |= _identity_problems(attributes)
    if authenticator == SELF_SIGNED_X509_AUTHENTICATOR:
        problem = _jwks_problem(attributes.get(JWKS_ATTRIBUTE))
        if problem:
            problems[JWKS_ATTRIBUTE] = problem
    return problems


def _identity_problems(attributes: dict) -> dict[str, str]:
    problems = {}
    names = [attribute for attribute in _IDENTITY_ATTRIBUTES if attributes.get(attribute)]
    if not names:
        problems[SUBJECT_DN_ATTRIBUTE] = (
            "an X.509 client needs the subject DN (or one subject alternative name) its "
            "certificate must have"
        )
    elif len(names) > 1:
        problems[names[1]] = f"give one of {', '.join(names)}, not several (RFC 8705 §2.1.2)"
    subject = attributes.get(SUBJECT_DN_ATTRIBUTE)
    if subject:
        problem = subject_problem(str(subject), regex=regex_allowed(attributes))
        if problem:
            problems[SUBJECT_DN_ATTRIBUTE] = problem
    issuer = attributes.get(CA_SUBJECT_DN_ATTRIBUTE)
    if issuer:
        problem = subject_problem(str(issuer), regex=False)
        if problem:
            problems[CA_SUBJECT_DN_ATTRIBUTE] = problem
    ip = attributes.get(SAN_ATTRIBUTES["tls_client_auth_san_ip"])
    if ip:
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            problems[SAN_ATTRIBUTES["tls_client_auth_san_ip"]] = "is not an IP address"
    return problems


_IDENTITY_ATTRIBUTES = (SUBJECT_DN_ATTRIBUTE, *SAN_ATTRIBUTES.values())


def subject_problem(text: str, *, regex: bool) -> str | None:
    """Why ``text`` is no subject DN (or, with ``regex``, no regular expression), or None."""
    if regex:
        try:
            re.compile(text)
        except re.error as error:
            return f"is not a regular expression: {error}"
        return None
    try:
        distinguished_names.parse(text)
    except ValueError as error:
        return f"is not a distinguished name: {error}"
    return None


def _jwks_problem(raw) -> str | None:
    if not raw:
        return "a self-signed X.509 client registers its certificate in a JWK Set (x5c)"
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if not _certificates_of(text):
        return "holds no certificate (x5c) for self-signed X.509 authentication"
    for der in _certificates_of(text):
        try:
            x509.load_der_x509_certificate(der)
        except ValueError:
            return "an x5c entry is not a DER X.509 certificate"
    return None
