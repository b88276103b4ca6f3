"""RFC 8705's client metadata, where client certificates reach this server: the two
``token_endpoint_auth_method`` values (§2.1.1, §2.2.1), the certificate's expected subject or
subject alternative name (§2.1.2; the subject DN is compared as a name, not as a pattern), the
registered certificate of a self-signed client (its ``jwks`` with ``x5c``, §2.2.2), and
``tls_client_certificate_bound_access_tokens`` (§3.4). Read into Keycloak's attributes and
written back from them."""

from authserver.models import (
    CERTIFICATE_BOUND_TOKENS_ATTRIBUTE,
    SELF_SIGNED_X509_AUTHENTICATOR,
    X509_AUTHENTICATOR,
    Client,
)
from authserver.protocol import mtls
from authserver.protocol.errors import OAuthError

AUTHENTICATORS = {
    mtls.TLS_CLIENT_AUTH: X509_AUTHENTICATOR,
    mtls.SELF_SIGNED_TLS_CLIENT_AUTH: SELF_SIGNED_X509_AUTHENTICATOR,
}
SUBJECT_DN = "tls_client_auth_subject_dn"
BOUND = "tls_client_certificate_bound_access_tokens"
# Each metadata name, and the attribute that keeps it.
NAMES = {SUBJECT_DN: mtls.SUBJECT_DN_ATTRIBUTE, **mtls.SAN_ATTRIBUTES}


def methods() -> list[str]:
    """The certificate methods a client may register: those discovery offers."""
    return mtls.methods()


def attributes(body: dict, *, method: str, invalid: type[OAuthError]) -> dict:
    """The attributes of a registration with ``method``; ``invalid`` (the caller's error for
    client metadata) names what is wrong."""
    found = {}
    bound = body.get(BOUND, False)
    if not isinstance(bound, bool):
        raise invalid(f"{BOUND} is a boolean")
    if bound:
        if not mtls.enabled():
            raise invalid("certificate-bound tokens need client certificates, not offered here")
        found[CERTIFICATE_BOUND_TOKENS_ATTRIBUTE] = "true"
    given = [name for name in NAMES if body.get(name) is not None]
    if method != mtls.TLS_CLIENT_AUTH:
        if given:
            raise invalid(f"{given[0]} goes with token_endpoint_auth_method tls_client_auth")
        return found
    if len(given) != 1:
        raise invalid(f"tls_client_auth needs exactly one of {', '.join(NAMES)}")
    (name,) = given
    value = body[name]
    if not isinstance(value, str) or not value:
        raise invalid(f"{name} is a string")
    found[NAMES[name]] = value
    if name == SUBJECT_DN:
        found[mtls.REGEX_ATTRIBUTE] = "false"
    return found


def check(method: str, attributes: dict, *, invalid: type[OAuthError]) -> None:
    """The rules every client meets (protocol/mtls.py), told in the metadata's names."""
    authenticator = AUTHENTICATORS.get(method, "")
    names = {attribute: name for name, attribute in NAMES.items()}
    names[mtls.JWKS_ATTRIBUTE] = "jwks"
    for attribute, problem in mtls.registration_problems(authenticator, attributes).items():
        raise invalid(f"{names.get(attribute, attribute)} {problem}")


def of_client(client: Client) -> dict:
    """What a client's attributes say in RFC 8705's names."""
    found = {}
    method = {authenticator: name for name, authenticator in AUTHENTICATORS.items()}.get(
        client.authenticator
    )
    if method is not None:
        found["token_endpoint_auth_method"] = method
    for name, attribute in NAMES.items():
        value = client.attributes.get(attribute)
        if value and method == mtls.TLS_CLIENT_AUTH:
            found[name] = value
    if client.binds_certificate:
        found[BOUND] = True
    return found
