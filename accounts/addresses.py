"""Who is asking: the client's address, as rate limits, audit events and SSO sessions record it."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy
    (AUTHSERVER_FORWARDED_ALLOW_IPS), the nearest untrusted address of X-Forwarded-For."""
    peer = request.META.get("REMOTE_ADDR") or ""
    if not is_trusted_proxy(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([hop.strip() for hop in forwarded.split(",") if hop.strip()]):
        if not _valid_ip(hop):
            break  # a malformed entry: trust nothing to its left
        if not is_trusted_proxy(hop):
            return hop
    return peer


def is_trusted_proxy(address: str) -> bool:
    """Whether ``address`` is one of the proxies whose forwarded headers are believed
    (AUTHSERVER_FORWARDED_ALLOW_IPS): X-Forwarded-For here, a client certificate in
    authserver/protocol/certificates.py."""
    trusted = settings.AUTHSERVER_FORWARDED_ALLOW_IPS
    return "*" in trusted or address in trusted


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
