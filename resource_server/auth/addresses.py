"""Whether a peer's address is one of a list of networks (an IPv4 peer seen on an IPv6 socket
counts as its IPv4 address)."""

import ipaddress
from collections.abc import Iterable


def within(address: str | None, networks: Iterable) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)
