"""Which IP addresses a fetch may connect to.

Remote servers choose the URLs we fetch (actor ids, key ids, inReplyTo…), so without this
check anyone could make us request our own admin ports, the cloud metadata service or the
LAN. Everything not globally routable is refused: loopback, private, link-local, CGNAT,
unspecified (`0.0.0.0`, `::`), multicast, reserved and documentation ranges; IPv4-mapped
IPv6 (`::ffff:127.0.0.1`) outright; 6to4, Teredo and NAT64 addresses by the IPv4 address
they embed. An explicit allow-list of networks (tests, LAN deployments) overrides all that.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["AddressPolicy", "IPAddress", "IPNetwork"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


@dataclass(frozen=True)
class AddressPolicy:
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def allowing(cls, networks: Iterable[str | IPNetwork]) -> AddressPolicy:
        return cls(tuple(ipaddress.ip_network(net, strict=False) for net in networks))

    def refusal(self, address: str | IPAddress) -> str | None:
        """Why `address` may not be connected to, or None when it may."""
        ip = ipaddress.ip_address(address.split("%")[0] if isinstance(address, str) else address)
        if any(ip.version == net.version and ip in net for net in self.allowed_networks):
            return None
        return _special(ip)


def _special(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"{ip} is an IPv4-mapped address"
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = _special(embedded)
            return f"{ip} embeds {inner}" if inner else None
        if ip in _NAT64_LOCAL:
            return f"{ip} is a local NAT64 address"
    for flag, what in (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a global address"),
    ):
        if flag:
            return f"{ip} is {what}"
    return None
