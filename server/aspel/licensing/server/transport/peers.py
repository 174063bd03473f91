"""The client's address behind a load balancer (ASPEL_LICENSING_TRUSTED_PROXIES).

grpc's `context.peer()` is the direct peer: behind a balancer, the balancer.
`x-forwarded-for` names the client, but anyone can send it: it is believed
only when the direct peer is a trusted proxy, and then only as far as the
chain stays trusted. The client is the right-most address that is not a
trusted proxy (each proxy appends the address it saw; those left of an
untrusted hop were written by the client itself and prove nothing).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

import grpc

from .. import request_context

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(text: str) -> tuple[Network, ...]:
    """ "10.0.0.0/8, 2001:db8::/32" -> networks; raises ValueError naming the bad one."""
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not a CIDR network") from None
    return tuple(networks)


def grpc_peer_address(peer: str) -> Address | None:
    """ "ipv4:10.0.0.7:53012" / "ipv6:[::1]:53012" -> the address; None for unix: etc."""
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    host = rest.rsplit(":", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def as_grpc_peer(address: Address) -> str:
    """The grpc spelling, port 0 (a forwarded address has no port we know)."""
    if address.version == 6:
        return f"ipv6:[{address}]:0"
    return f"ipv4:{address}:0"


class ClientAddress:
    """Resolves the client's address of one call from its peer and headers."""

    def __init__(self, trusted: Sequence[Network] = ()) -> None:
        self.trusted = tuple(trusted)

    def _is_trusted(self, address: Address) -> bool:
        return any(address in network for network in self.trusted)

    def resolve(self, peer: str, forwarded_for: Iterable[str]) -> str:
        """The client, grpc-style: `peer` itself unless it is a trusted proxy."""
        if not self.trusted:
            return peer  # no proxy to look behind: nothing to parse
        direct = grpc_peer_address(peer)
        if direct is None or not self._is_trusted(direct):
            return peer
        chain = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        for hop in reversed([h for h in chain if h]):
            try:
                address = ipaddress.ip_address(hop.strip("[]"))
            except ValueError:
                # A hop we cannot read ends what we can believe: the last
                # trusted proxy is the client as far as we know.
                break
            if not self._is_trusted(address):
                return as_grpc_peer(address)
            direct = address
        return as_grpc_peer(direct)


def client_peer(context: grpc.ServicerContext) -> str:
    """The client's address of this call, for rate limits and audit: the one
    the observability interceptor resolved, else grpc's direct peer."""
    current = request_context.current()
    return current.peer if current is not None else context.peer()
