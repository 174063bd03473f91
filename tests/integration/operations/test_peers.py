"""The client's address behind balancers, and IPv6 rate limits by /64."""

from __future__ import annotations

import pytest

from aspel.licensing.server.domain.password_reset import peer_host
from aspel.licensing.server.transport.peers import ClientAddress, parse_networks

BALANCER = "ipv4:10.0.0.5:41000"


def _resolve(trusted: str, peer: str, *forwarded: str) -> str:
    return ClientAddress(parse_networks(trusted)).resolve(peer, list(forwarded))


def test_the_right_most_untrusted_hop_is_the_client() -> None:
    # The client forged "1.2.3.4"; balancers 10.0.0.9 and 10.0.0.5 are ours.
    chain = "1.2.3.4, 198.51.100.7, 10.0.0.9"
    assert _resolve("10.0.0.0/8", BALANCER, chain) == "ipv4:198.51.100.7:0"


def test_headers_from_an_untrusted_peer_are_ignored() -> None:
    direct = "ipv4:198.51.100.20:5000"
    assert _resolve("10.0.0.0/8", direct, "203.0.113.1") == direct
    assert _resolve("", BALANCER, "203.0.113.1") == BALANCER


def test_several_headers_read_as_one_chain_and_ipv6_hops() -> None:
    assert _resolve("10.0.0.0/8", BALANCER, "203.0.113.1", "2001:db8::7") == (
        "ipv6:[2001:db8::7]:0"
    )


def test_a_chain_of_trusted_hops_or_garbage_gives_the_last_trusted_one() -> None:
    assert _resolve("10.0.0.0/8", BALANCER, "10.0.0.7") == "ipv4:10.0.0.7:0"
    assert _resolve("10.0.0.0/8", BALANCER, "not-an-address") == "ipv4:10.0.0.5:0"
    assert _resolve("10.0.0.0/8", BALANCER) == "ipv4:10.0.0.5:0"


def test_a_bad_network_is_refused() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/99"):
        parse_networks("10.0.0.0/8, 10.0.0.0/99")


def test_ipv6_callers_share_a_rate_limit_per_64() -> None:
    one = peer_host("ipv6:[2001:db8:1:2::1]:443")
    other = peer_host("ipv6:[2001:db8:1:2:ffff::9]:443")
    assert one == other == "2001:db8:1:2::/64"
    assert peer_host("ipv6:[2001:db8:1:3::1]:443") != one
    assert peer_host("ipv4:10.0.0.7:53012") == "10.0.0.7"
