"""The client page's "Credentials" settings beside the secret: how the client authenticates
(Keycloak's client authenticator), what its TLS certificate must say (RFC 8705 §2), and whether
its tokens are bound to that certificate (§3). Each is a client attribute, as in Keycloak; the
page shows them as fields, and leaves them out of the raw attributes below.

An attribute is written only when its field was changed: saving a page that changed nothing of
them changes nothing of the client's credentials (which the console's permission rule watches).
"""

import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django import forms
from jwcrypto import jwk

from authserver.models import (
    AUTHENTICATOR_ATTRIBUTE,
    CERTIFICATE_AUTHENTICATORS,
    CERTIFICATE_BOUND_TOKENS_ATTRIBUTE,
    CLIENT_JWT_AUTHENTICATOR,
    CLIENT_SECRET_AUTHENTICATOR,
    SELF_SIGNED_X509_AUTHENTICATOR,
    X509_AUTHENTICATOR,
    Client,
)
from authserver.protocol import mtls

AUTHENTICATORS = [
    (CLIENT_SECRET_AUTHENTICATOR, "Client secret (or a signed JWT, when it registered keys)"),
    (CLIENT_JWT_AUTHENTICATOR, "Signed JWT only (private_key_jwt)"),
    (X509_AUTHENTICATOR, "X.509 certificate of a trusted CA (tls_client_auth)"),
    (SELF_SIGNED_X509_AUTHENTICATOR, "Self-signed X.509 certificate (self_signed_tls_client_auth)"),
]
# Each field, and the attribute it stands for.
ATTRIBUTES = {
    "client_authenticator": AUTHENTICATOR_ATTRIBUTE,
    "x509_subject_dn": mtls.SUBJECT_DN_ATTRIBUTE,
    "x509_allow_regex": mtls.REGEX_ATTRIBUTE,
    "x509_san_dns": mtls.SAN_ATTRIBUTES["tls_client_auth_san_dns"],
    "x509_san_uri": mtls.SAN_ATTRIBUTES["tls_client_auth_san_uri"],
    "certificate_bound_tokens": CERTIFICATE_BOUND_TOKENS_ATTRIBUTE,
}
FIELDS = [*ATTRIBUTES, "x509_certificate"]
_PEM = "-----BEGIN CERTIFICATE-----"


class ClientAuthenticationFields(forms.Form):
    client_authenticator = forms.ChoiceField(
        label="Client authenticator",
        choices=AUTHENTICATORS,
        initial=CLIENT_SECRET_AUTHENTICATOR,
        required=False,
        help_text="How a confidential client proves who it is at the token, introspection, "
        "revocation and other endpoints. A public client authenticates with nothing.",
    )
    x509_subject_dn = forms.CharField(
        label="Subject DN",
        required=False,
        max_length=1000,
        help_text="X.509 certificate: the subject its certificate must have, as RFC 4514 writes "
        "it (CN=orders-service,O=Example,C=DE; attribute names in any case, a space after each "
        "comma or none). With regex comparison: a regular expression the whole subject must "
        "match. Or leave it empty and give one subject alternative name below.",
    )
    x509_allow_regex = forms.BooleanField(
        label="Allow regex pattern comparison",
        required=False,
        help_text="Keycloak's option: the subject DN above is a regular expression.",
    )
    x509_san_dns = forms.CharField(
        label="Subject alternative name (DNS)",
        required=False,
        max_length=255,
        help_text="X.509 certificate: instead of the subject DN, a DNS name the certificate "
        "must hold (RFC 8705 tls_client_auth_san_dns).",
    )
    x509_san_uri = forms.CharField(
        label="Subject alternative name (URI)",
        required=False,
        max_length=1000,
        help_text="Instead of the subject DN, a URI the certificate must hold "
        "(tls_client_auth_san_uri, a SPIFFE ID for one).",
    )
    x509_certificate = forms.CharField(
        label="Registered certificate (PEM)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Self-signed X.509 certificate: the client's own certificate; only this one "
        "authenticates it (kept in its JWK Set, jwks.string, as x5c).",
    )
    certificate_bound_tokens = forms.BooleanField(
        label="OAuth 2.0 Mutual TLS certificate bound access tokens",
        required=False,
        help_text="Tokens are bound to the TLS certificate of the token request (RFC 8705 "
        "cnf x5t#S256) and refused over a connection with another one; a client that "
        "presents no certificate gets none. A public client's refresh tokens are bound too.",
    )

    def init_client_authentication(self, instance: Client) -> None:
        """The fields' values from the client's attributes, which the raw attributes field
        then leaves out."""
        attributes = instance.attributes if isinstance(instance.attributes, dict) else {}
        subject = attributes.get(mtls.SUBJECT_DN_ATTRIBUTE, "")
        self.initial.update(
            client_authenticator=attributes.get(
                AUTHENTICATOR_ATTRIBUTE, CLIENT_SECRET_AUTHENTICATOR
            ),
            x509_subject_dn=subject,
            x509_allow_regex=bool(subject) and mtls.regex_allowed(attributes),
            x509_san_dns=attributes.get(ATTRIBUTES["x509_san_dns"], ""),
            x509_san_uri=attributes.get(ATTRIBUTES["x509_san_uri"], ""),
            x509_certificate=_registered_pem(instance),
            certificate_bound_tokens=instance.binds_certificate,
        )
        field = self.fields["client_authenticator"]
        current = self.initial["client_authenticator"]
        if current not in dict(field.choices):
            # A type brought by a realm file is kept (and authenticates nothing), not replaced.
            field.choices = [*field.choices, (current, current)]
        self.initial["attributes"] = {
            name: value for name, value in attributes.items() if name not in ATTRIBUTES.values()
        }

    def clean_client_authentication(self, data: dict) -> None:
        """Writes the changed fields into ``data["attributes"]``, then names what is wrong."""
        before = self.instance.attributes if isinstance(self.instance.attributes, dict) else {}
        attributes = {
            name: value
            for name, value in (data.get("attributes") or {}).items()
            if name not in ATTRIBUTES.values()
        }
        attributes |= {name: before[name] for name in ATTRIBUTES.values() if name in before}
        for field, attribute in ATTRIBUTES.items():
            if field in self.changed_data:
                _apply(attributes, attribute, data.get(field))
        subject = attributes.get(mtls.SUBJECT_DN_ATTRIBUTE)
        if subject and bool(data.get("x509_allow_regex")) != mtls.regex_allowed(attributes):
            attributes[mtls.REGEX_ATTRIBUTE] = "true" if data.get("x509_allow_regex") else "false"
        authenticator = attributes.get(AUTHENTICATOR_ATTRIBUTE, CLIENT_SECRET_AUTHENTICATOR)
        if "x509_certificate" in self.changed_data and data.get("x509_certificate"):
            keys = _with_certificate(attributes.get(mtls.JWKS_ATTRIBUTE), data["x509_certificate"])
            if keys is None:
                self.add_error("x509_certificate", "Paste one PEM certificate (BEGIN CERTIFICATE).")
                return
            attributes[mtls.JWKS_ATTRIBUTE] = keys
        if "attributes" not in self.errors:
            data["attributes"] = attributes
        if data.get("client_type") == Client.CLIENT_PUBLIC and (
            authenticator in CERTIFICATE_AUTHENTICATORS
        ):
            self.add_error(
                "client_authenticator",
                "A public client does not authenticate; its tokens may still be bound to its "
                "certificate.",
            )
        fields = {attribute: field for field, attribute in ATTRIBUTES.items()}
        fields[mtls.JWKS_ATTRIBUTE] = "x509_certificate"
        for attribute, problem in mtls.registration_problems(authenticator, attributes).items():
            field = fields.get(attribute, "attributes")
            if field in self.fields and field not in self.errors:
                self.add_error(field, f"{problem[:1].upper()}{problem[1:]}.")


def _apply(attributes: dict, attribute: str, value) -> None:
    if attribute == AUTHENTICATOR_ATTRIBUTE:
        value = None if value in (None, "", CLIENT_SECRET_AUTHENTICATOR) else value
    elif isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, str):
        value = value.strip() or None
    if value is None:
        attributes.pop(attribute, None)
    else:
        attributes[attribute] = value


def _registered_pem(client: Client) -> str:
    for der in sorted(mtls.registered_certificates(client)):
        try:
            return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode()
        except ValueError:
            continue
    return ""


def _with_certificate(raw, pem: str) -> str | None:
    """The JWK Set ``raw`` with its certificate keys replaced by ``pem``'s key and certificate
    (RFC 7517 §4.7 x5c); None when ``pem`` is no certificate."""
    if pem.count(_PEM) != 1:
        return None
    try:
        cert = x509.load_pem_x509_certificate(pem.strip().encode("ascii"))
        key = jwk.JWK.from_pyca(cert.public_key())
    except (ValueError, TypeError, UnicodeError):
        return None
    entry = json.loads(key.export_public())
    entry |= {
        "kid": key.thumbprint(),
        "use": "sig",
        "x5c": [base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")],
    }
    try:
        keys = json.loads(raw)["keys"] if raw else []
        kept = [each for each in keys if isinstance(each, dict) and "x5c" not in each]
    except (ValueError, TypeError, KeyError):
        kept = []
    return json.dumps({"keys": [*kept, entry]})
