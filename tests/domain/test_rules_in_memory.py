"""Rules of serials checked on the in-memory store (tests/domain/conftest.py):
seats, and which serials may take a free upgrade."""

from __future__ import annotations

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.app import Services
from aspel.licensing.server.domain.states import ACTIVE, SUSPENDED
from aspel.licensing.server.store.activations import Installation
from aspel.licensing.server.store.models import Account

from .test_subscription_state import caller_for, demo_serial


def _activate(services: Services, serial: str, machine: str):  # type: ignore[no-untyped-def]
    row = demo_serial("SAE")
    account = Account.get_by_id(row.account_id)
    return services.activation.activate(
        serial_number=serial,
        razon_social_text=account.razon_social,
        installation=Installation(machine, machine, row.product_code, row.version),
        key=None,
        peer="test",
    )


def test_a_seat_is_counted_while_its_machine_holds_it(demo: Services) -> None:
    sae = demo_serial("SAE")
    assert sae.installations_allowed == 1
    first = _activate(demo, sae.serial_number, "machine-a")
    with pytest.raises(errors.ActivationLimitReached):
        _activate(demo, sae.serial_number, "machine-b")
    # The same machine again keeps its seat: no second one is taken.
    assert _activate(demo, sae.serial_number, "machine-a").activation == first.activation
    demo.activation.deactivate(
        serial_number=sae.serial_number,
        activation_id=first.activation.activation_id,
        machine_fingerprint="machine-a",
        key=None,
        peer="test",
    )
    _activate(demo, sae.serial_number, "machine-b")


def test_a_suspended_serial_offers_no_upgrade(demo: Services) -> None:
    caller = caller_for(demo, "demo")
    sae = demo_serial("SAE")
    assert demo.portal.get_subscription(caller, sae.serial_number).upgrade_available
    with demo.store.write() as tx:
        tx.subscriptions.change_status(sae.id, ACTIVE, SUSPENDED)
    view = demo.portal.get_subscription(caller, sae.serial_number)
    assert (view.state, view.upgrade_available) == (SUSPENDED, False)
    with pytest.raises(errors.SerialNotActive):
        demo.portal.get_upgrade_terms(caller, sae.serial_number)


def test_a_perpetual_license_upgrades_only_by_purchase(demo: Services) -> None:
    caller = caller_for(demo, "demo")
    coi = demo_serial("COI")
    with pytest.raises(errors.UpgradeRequiresPurchase):
        demo.portal.get_upgrade_terms(caller, coi.serial_number)
