"""Where webhooks may go: private networks (internal billing and CRM) yes;
link-local (the cloud's metadata service), unspecified, multicast and
reserved addresses never; this machine only where the deployment allows it.
Checked on the URL when an endpoint is created and on every address a name
resolves to when delivering."""

from __future__ import annotations

import pytest

from aspel.licensing.server.domain.events import address_allowed
from aspel.licensing.server.mail import webhooks


@pytest.mark.parametrize(
    "address", ["10.0.0.5", "192.168.1.20", "172.16.0.1", "8.8.8.8", "fd00::1"]
)
def test_private_and_public_addresses_receive(address: str) -> None:
    assert address_allowed(address, allow_loopback=False)


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "fe80::1%eth0",
        "0.0.0.0",  # noqa: S104 - an address refused, not one bound
        "::",
        "224.0.0.1",
        "240.0.0.1",
        "not an address",
    ],
)
def test_metadata_unspecified_multicast_and_reserved_addresses_never_do(address: str) -> None:
    assert not address_allowed(address, allow_loopback=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_this_machine_only_where_allowed(address: str) -> None:
    assert not address_allowed(address, allow_loopback=False)
    assert address_allowed(address, allow_loopback=True)


def test_a_name_that_resolves_to_this_machine_is_not_posted_to() -> None:
    # The name passed the URL check (a name is not resolved then); delivery
    # resolves it and refuses before connecting.
    with pytest.raises(webhooks.AddressNotAllowed):
        webhooks.HttpPoster(1.0, 1.0).post("https://localhost:9/hooks", b"{}", {})
