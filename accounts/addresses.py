"""Who is asking: the client's address, as rate limits, audit events and SSO sessions record it."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy
    (AUTHSERVER_FORWARDED_ALLOW_IPS), the nearest untrusted address of X-Forwarded-For."""
    peer = request.META.get("REMOTE_ADDR") or ""
    if not _trusted(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([hop.strip() for hop in forwarded.split(",") if hop.strip()]):
        if not _valid_ip(hop):
            break  # a malformed entry: trust nothing to its left
        if not _trusted(hop):
            return hop
    return peer


def _trusted(address: str) -> bool:
    trusted = settings.AUTHSERVER_FORWARDED_ALLOW_IPS
    return "*" in trusted or address in trusted


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
