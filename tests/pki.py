"""Throwaway certificate authorities and client certificates for the mutual-TLS tests, made with
``cryptography`` (EC P-256 keys: quick to make)."""

import base64
import datetime
import hashlib
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)
# Where the tests' trusted proxy forwards the client's certificate (the ``mtls`` fixture), and
# the name Django's test client gives that header.
HEADER = "Ssl-Client-Cert"
META = "HTTP_SSL_CLIENT_CERT"


def name(common_name: str, *, organization: str = "", country: str = "") -> x509.Name:
    """A subject, written (RFC 4514) ``CN=...,O=...,C=...``."""
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)] if country else []
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def thumbprint(self) -> str:
        """RFC 8705 §3.1's x5t#S256."""
        digest = hashlib.sha256(self.der).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    @property
    def header(self) -> str:
        """As nginx forwards it ($ssl_client_escaped_cert): the PEM, URL-encoded."""
        return quote(self.pem, safe="")

    @property
    def forwarded(self) -> dict[str, str]:
        """The test client's keyword arguments that forward it (the ``mtls`` fixture)."""
        return {META: self.header}

    def write(self, folder: Path, stem: str) -> tuple[Path, Path]:
        """``stem.crt`` and ``stem.key`` in ``folder``."""
        cert, key = folder / f"{stem}.crt", folder / f"{stem}.key"
        cert.write_text(self.pem)
        key.write_text(self.key_pem)
        key.chmod(0o600)
        return cert, key

    def jwks(self) -> str:
        """A JWK Set with this certificate's key and the certificate in ``x5c`` (RFC 7517
        §4.7), as a self-signed mTLS client registers it."""
        from jwcrypto import jwk

        key = json.loads(jwk.JWK.from_pyca(self.key.public_key()).export_public())
        key |= {"kid": "mtls", "use": "sig", "x5c": [base64.b64encode(self.der).decode()]}
        return json.dumps({"keys": [key]})


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _builder(subject: x509.Name, issuer: x509.Name, public_key, *, days: int):
    """Valid from yesterday for ``days`` days (a negative number: expired that long ago)."""
    now = datetime.datetime.now(tz=datetime.UTC)
    start = now - DAY if days > 0 else now + (days - 10) * DAY
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + days * DAY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


class Authority:
    """A root CA that issues client certificates."""

    def __init__(self, common_name: str = "test client CA"):
        self.key = _key()
        subject = name(common_name, organization="Test")
        cert = (
            _builder(subject, subject, self.key.public_key(), days=30)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.issued = Issued(cert, self.key)

    @property
    def pem(self) -> str:
        return self.issued.pem

    def issue(
        self,
        subject: x509.Name | str,
        *,
        dns: tuple[str, ...] = (),
        uris: tuple[str, ...] = (),
        ips: tuple[str, ...] = (),
        emails: tuple[str, ...] = (),
        server: bool = False,
        days: int = 10,
        expired: bool = False,
    ) -> Issued:
        """A client certificate (a server one with ``server``) for ``subject``."""
        subject = name(subject) if isinstance(subject, str) else subject
        key = _key()
        days = -1 if expired else days
        builder = _builder(subject, self.issued.cert.subject, key.public_key(), days=days)
        names = [
            *(x509.DNSName(each) for each in dns),
            *(x509.UniformResourceIdentifier(each) for each in uris),
            *(x509.IPAddress(ipaddress.ip_address(each)) for each in ips),
            *(x509.RFC822Name(each) for each in emails),
        ]
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        cert = (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return Issued(cert, key)


def self_signed(common_name: str, *, days: int = 10) -> Issued:
    """A certificate that is its own issuer, as RFC 8705 §2.2's clients use."""
    key = _key()
    subject = name(common_name)
    cert = (
        _builder(subject, subject, key.public_key(), days=days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)
