"""The TLS context the order service calls the payment service with: a private CA, and the
service's own certificate when the payment service requires one (mutual TLS)."""

import ssl

from resource_server import env


def client_context(*, ca: str = "", cert: str = "", key: str = "") -> ssl.SSLContext | None:
    """None when nothing is configured (the system's trust store then applies to https)."""
    if not (ca or cert or key):
        return None
    if bool(cert) != bool(key):
        raise env.ConfigurationError("RS_TLS_CLIENT_CERT and RS_TLS_CLIENT_KEY go together")
    context = ssl.create_default_context(cafile=ca or None)
    if cert:
        context.load_cert_chain(cert, key)
    return context
