"""Machines known by several components: a reinstall (new fingerprint, same
hardware) rebinds to its own activation, a different machine takes a seat,
clones are shown to support, and installers that send only a fingerprint
work as before. Through the real server, on both engines."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from aspel.licensing.client.installation_key import InstallationKey
from aspel.licensing.server.store.models import Activation
from aspel.licensing.v1 import activation_pb2, activation_service_pb2, admin_service_pb2
from tests.integration.admin.conftest import Admin, make_keys

from .conftest import (
    MACHINE,
    OTHER_MACHINE,
    DemoSerial,
    activate_request,
    active_activations,
    audit_kinds,
    failure,
    update_subscription,
)
from .identity_helpers import components

ORIGINAL = ("guid-1", "uuid-1", "disk-1", "mac-1")


def certificate_of(response: Any) -> activation_pb2.LicenseCertificate:
    return activation_pb2.LicenseCertificate.FromString(response.signed_license.certificate)


def validate(
    stub: Any, serial: DemoSerial, activation_id: str, fingerprint: str, **more: Any
) -> Any:
    return stub.ValidateLicense(
        activation_service_pb2.ValidateLicenseRequest(
            serial_number=serial.serial_number,
            activation_id=activation_id,
            machine_fingerprint=fingerprint,
            **more,
        )
    )


def stored(server: Any, activation_id: str) -> Activation:
    with server.services.store.connection():
        return Activation.get(Activation.public_id == activation_id)


def test_a_reinstall_with_three_of_four_components_rebinds_to_its_activation(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(
        activate_request(sae, machine_components=components(sae.serial_number, *ORIGINAL))
    )
    # Windows reinstalled: a new MachineGuid (so a new fingerprint), same board, disk, card.
    reinstalled = components(sae.serial_number, "guid-2", "uuid-1", "disk-1", "mac-1")

    again = stub.ActivateInstallation(
        activate_request(sae, machine_fingerprint=OTHER_MACHINE, machine_components=reinstalled)
    )

    assert again.activation.activation_id == first.activation.activation_id
    assert again.activation.machine_fingerprint == OTHER_MACHINE
    assert certificate_of(again).machine_fingerprint == OTHER_MACHINE
    # The installer's answer never echoes the digests the server keeps: whoever
    # knows a fingerprint could read them and pose as the machine.
    assert not first.activation.machine_components
    assert not again.activation.machine_components
    assert stored(server, first.activation.activation_id).machine_components == dict(
        (c.kind, c.digest) for c in reinstalled
    )
    assert active_activations(server, sae.row_id) == 1
    row = stored(server, first.activation.activation_id)
    assert row.machine_fingerprint == OTHER_MACHINE
    assert row.machine_components == {c.kind: c.digest for c in reinstalled}
    rebound = [d for k, d in audit_kinds(server) if k == "activation.rebound"]
    assert rebound == [
        {
            "activation_id": first.activation.activation_id,
            "previous_fingerprint": MACHINE,
            "shared_kinds": "system_uuid,system_disk,network_mac",
        }
    ]
    # The old fingerprint no longer names the activation; the new one does.
    lost = failure(lambda: validate(stub, sae, first.activation.activation_id, MACHINE))
    assert lost.reason == "ACTIVATION_NOT_FOUND"
    validate(stub, sae, first.activation.activation_id, OTHER_MACHINE)


def test_one_of_four_components_is_another_machine(server: Any, stub: Any, sae: DemoSerial) -> None:
    stub.ActivateInstallation(
        activate_request(sae, machine_components=components(sae.serial_number, *ORIGINAL))
    )
    other = components(sae.serial_number, "guid-2", "uuid-2", "disk-2", "mac-1")
    request = activate_request(sae, machine_fingerprint=OTHER_MACHINE, machine_components=other)

    full = failure(lambda: stub.ActivateInstallation(request))
    assert (full.code, full.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "ACTIVATION_LIMIT_REACHED",
    )
    update_subscription(server, sae.row_id, installations_allowed=2)
    second = stub.ActivateInstallation(request)
    assert second.activation.machine_fingerprint == OTHER_MACHINE
    assert active_activations(server, sae.row_id) == 2
    assert "activation.rebound" not in [k for k, _ in audit_kinds(server)]


def test_fewer_components_than_the_rule_needs_never_match(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    # One component (say a container with only a machine-id) cannot make 2 of 4.
    stub.ActivateInstallation(
        activate_request(sae, machine_components=components(sae.serial_number, "guid-1"))
    )
    update_subscription(server, sae.row_id, installations_allowed=2)
    other = stub.ActivateInstallation(
        activate_request(
            sae,
            machine_fingerprint=OTHER_MACHINE,
            machine_components=components(sae.serial_number, "guid-1"),
        )
    )
    assert active_activations(server, sae.row_id) == 2
    assert other.activation.machine_fingerprint == OTHER_MACHINE


def test_validation_with_components_rebinds_a_reinstalled_machine(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(
        activate_request(sae, machine_components=components(sae.serial_number, *ORIGINAL))
    ).activation
    reinstalled = components(sae.serial_number, "guid-2", "uuid-1", "disk-1", "mac-9")

    fresh = validate(stub, sae, first.activation_id, OTHER_MACHINE, machine_components=reinstalled)

    assert certificate_of(fresh).machine_fingerprint == OTHER_MACHINE
    assert stored(server, first.activation_id).machine_fingerprint == OTHER_MACHINE
    assert [k for k, _ in audit_kinds(server)].count("activation.rebound") == 1
    # From now on the new fingerprint alone validates, as an old client would.
    validate(stub, sae, first.activation_id, OTHER_MACHINE)


def test_validation_with_too_few_matching_components_is_refused(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(
        activate_request(sae, machine_components=components(sae.serial_number, *ORIGINAL))
    ).activation
    stranger = components(sae.serial_number, "guid-2", "uuid-2", "disk-2", "mac-1")

    refused = failure(
        lambda: validate(stub, sae, first.activation_id, OTHER_MACHINE, machine_components=stranger)
    )

    assert refused.reason == "ACTIVATION_NOT_FOUND"
    assert stored(server, first.activation_id).machine_fingerprint == MACHINE


def test_validation_keeps_the_components_the_machine_sends_now(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(activate_request(sae)).activation  # an old installer
    assert stored(server, first.activation_id).machine_components is None
    now = components(sae.serial_number, *ORIGINAL)

    validate(stub, sae, first.activation_id, MACHINE, machine_components=now)

    assert stored(server, first.activation_id).machine_components == {c.kind: c.digest for c in now}


def test_installers_that_send_only_a_fingerprint_work_as_before(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(activate_request(sae))
    again = stub.ActivateInstallation(activate_request(sae))

    assert again.activation.activation_id == first.activation.activation_id
    assert not first.activation.machine_components
    assert first.activation.installation_public_key == b""
    assert certificate_of(first).installation_public_key == b""
    assert certificate_of(first).machine_fingerprint == MACHINE
    full = failure(
        lambda: stub.ActivateInstallation(activate_request(sae, machine_fingerprint=OTHER_MACHINE))
    )
    assert full.reason == "ACTIVATION_LIMIT_REACHED"
    validate(stub, sae, first.activation.activation_id, MACHINE)
    row = stored(server, first.activation.activation_id)
    assert (row.machine_components, row.installation_public_key) == (None, None)


def test_the_installation_key_goes_into_the_activation_and_the_licence(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    key = InstallationKey.generate().public_key_bytes()
    first = stub.ActivateInstallation(activate_request(sae, installation_public_key=key))

    assert first.activation.installation_public_key == key
    assert certificate_of(first).installation_public_key == key
    assert (
        certificate_of(
            validate(stub, sae, first.activation.activation_id, MACHINE)
        ).installation_public_key
        == key
    )
    # A product that lost its key file makes a new one: it replaces the former.
    newer = InstallationKey.generate().public_key_bytes()
    again = stub.ActivateInstallation(activate_request(sae, installation_public_key=newer))
    assert certificate_of(again).installation_public_key == newer
    # An installer that sends none leaves the key alone.
    kept = stub.ActivateInstallation(activate_request(sae))
    assert certificate_of(kept).installation_public_key == newer


def test_cloned_activations_are_shown_to_support(server: Any, stub: Any, sae: DemoSerial) -> None:
    update_subscription(server, sae.row_id, installations_allowed=3)
    # Two machines activated by old installers, then updated ones report
    # components: the same disk and card (one image cloned onto two machines).
    first = stub.ActivateInstallation(activate_request(sae)).activation
    second = stub.ActivateInstallation(
        activate_request(sae, machine_fingerprint=OTHER_MACHINE)
    ).activation
    third = stub.ActivateInstallation(activate_request(sae, machine_fingerprint="fp-3")).activation
    validate(
        stub,
        sae,
        first.activation_id,
        MACHINE,
        machine_components=components(sae.serial_number, *ORIGINAL),
    )
    validate(
        stub,
        sae,
        second.activation_id,
        OTHER_MACHINE,
        machine_components=components(sae.serial_number, "guid-2", "uuid-2", "disk-1", "mac-1"),
    )
    validate(
        stub,
        sae,
        third.activation_id,
        "fp-3",
        machine_components=components(sae.serial_number, "guid-3", "uuid-3", "disk-3", "mac-1"),
    )
    admin = Admin(server.channel, make_keys(server.services))

    found = admin.support.LookupSerial(
        admin_service_pb2.LookupSerialRequest(serial_number=sae.serial_number)
    )

    assert [
        (c.activation_id, c.other_activation_id, list(c.shared_kinds))
        for c in found.cloned_activations
    ] == [(first.activation_id, second.activation_id, ["system_disk", "network_mac"])]
    shown = {a.activation_id: a for a in found.activations}
    assert [c.kind for c in shown[first.activation_id].machine_components] == [
        "machine_id",
        "system_uuid",
        "system_disk",
        "network_mac",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("machine_components", [activation_pb2.MachineComponent(kind="machine_id", digest="ab")]),
        (
            "machine_components",
            [activation_pb2.MachineComponent(kind="machine_id", digest="A" * 64)],
        ),
        (
            "machine_components",
            [activation_pb2.MachineComponent(kind="machine_id", digest="g" * 64)],
        ),
        ("machine_components", [activation_pb2.MachineComponent(kind="", digest="a" * 64)]),
        (
            "machine_components",
            [activation_pb2.MachineComponent(kind="Machine ID", digest="a" * 64)],
        ),
        (
            "machine_components",
            [activation_pb2.MachineComponent(kind="machine_id\x00", digest="a" * 64)],
        ),
        (
            "machine_components",
            [activation_pb2.MachineComponent(kind="machine_id", digest="a" * 64)] * 2,
        ),
        (
            "machine_components",
            [activation_pb2.MachineComponent(kind=f"k{i}", digest="a" * 64) for i in range(1000)],
        ),
        ("installation_public_key", b"\x01" * 31),
        ("installation_public_key", b"\x01" * 33),
    ],
)
def test_hostile_identity_fields_are_invalid_arguments(
    server: Any, stub: Any, sae: DemoSerial, field: str, value: Any
) -> None:
    refused = failure(lambda: stub.ActivateInstallation(activate_request(sae, **{field: value})))

    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert active_activations(server, sae.row_id) == 0
    if field == "machine_components":
        first = stub.ActivateInstallation(activate_request(sae)).activation
        bad = failure(
            lambda: validate(stub, sae, first.activation_id, MACHINE, machine_components=value)
        )
        assert bad.code == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_component_kinds_are_kept_but_never_match(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    odd = [
        activation_pb2.MachineComponent(kind="tpm_ek", digest="a" * 64),
        activation_pb2.MachineComponent(kind="gpu_serial", digest="b" * 64),
    ]
    first = stub.ActivateInstallation(activate_request(sae, machine_components=odd)).activation
    assert stored(server, first.activation_id).machine_components == {
        "tpm_ek": "a" * 64,
        "gpu_serial": "b" * 64,
    }
    update_subscription(server, sae.row_id, installations_allowed=2)
    other = stub.ActivateInstallation(
        activate_request(sae, machine_fingerprint=OTHER_MACHINE, machine_components=odd)
    ).activation
    assert other.activation_id != first.activation_id
