"""The machine identity settings reach the rules: a stricter matching rule
and a narrower receipt window (through the real server, both engines)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from aspel.licensing.client.activation import deactivation_receipt
from aspel.licensing.client.installation_key import InstallationKey
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import activation_service_pb2

from .conftest import (
    MACHINE,
    OTHER_MACHINE,
    DemoSerial,
    activate_request,
    active_activations,
    failure,
    update_subscription,
)
from .identity_helpers import components


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, machine_match_components=4, deactivation_receipt_window_seconds=60
    )


def test_a_stricter_rule_needs_every_component(server: Any, stub: Any, sae: DemoSerial) -> None:
    update_subscription(server, sae.row_id, installations_allowed=2)
    first = stub.ActivateInstallation(
        activate_request(sae, machine_components=components(sae.serial_number, "a", "b", "c", "d"))
    ).activation

    three = stub.ActivateInstallation(
        activate_request(
            sae,
            machine_fingerprint=OTHER_MACHINE,
            machine_components=components(sae.serial_number, "x", "b", "c", "d"),
        )
    ).activation

    assert three.activation_id != first.activation_id
    assert active_activations(server, sae.row_id) == 2


def test_a_narrower_receipt_window(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    key = InstallationKey.generate()
    first = stub.ActivateInstallation(
        activate_request(sae, installation_public_key=key.public_key_bytes())
    ).activation
    late = deactivation_receipt(
        key, first.activation_id, sae.serial_number, clock.now() - dt.timedelta(minutes=2)
    )
    request = activation_service_pb2.DeactivateInstallationRequest(
        serial_number=sae.serial_number,
        activation_id=first.activation_id,
        machine_fingerprint=MACHINE,
        deactivation_receipt=late,
    )

    refused = failure(lambda: stub.DeactivateInstallation(request))

    assert (refused.reason, refused.metadata["problem"]) == (
        "INVALID_DEACTIVATION_RECEIPT",
        "stale",
    )
