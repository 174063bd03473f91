"""DeactivateInstallation with a receipt signed by the installation key: a
valid one frees the seat at once; a forged, copied, stale or foreign one is
refused (PERMISSION_DENIED, INVALID_DEACTIVATION_RECEIPT) and audited.
Through the real server, on both engines, with the server's fixed clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
import pytest

from aspel.licensing.client.activation import (
    RECEIPT_PURPOSE,
    deactivation_receipt,
    receipt_message,
)
from aspel.licensing.client.installation_key import InstallationKey, signed_payload
from aspel.licensing.server.domain import receipts
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.v1 import activation_pb2, activation_service_pb2

from .conftest import (
    MACHINE,
    OTHER_MACHINE,
    DemoSerial,
    activate_request,
    active_activations,
    audit_kinds,
    demo_serial,
    failure,
    update_subscription,
)


def activated(stub: Any, serial: DemoSerial, key: InstallationKey | None, **more: Any) -> Any:
    public = key.public_key_bytes() if key is not None else b""
    return stub.ActivateInstallation(
        activate_request(serial, installation_public_key=public, **more)
    ).activation


def deactivate(
    stub: Any,
    serial: DemoSerial,
    activation_id: str,
    receipt: activation_pb2.DeactivationReceipt | None,
    fingerprint: str = MACHINE,
) -> Any:
    request = activation_service_pb2.DeactivateInstallationRequest(
        serial_number=serial.serial_number,
        activation_id=activation_id,
        machine_fingerprint=fingerprint,
    )
    if receipt is not None:
        request.deactivation_receipt.CopyFrom(receipt)
    return stub.DeactivateInstallation(request)


def refused_for(call: Any) -> str:
    refused = failure(call)
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "INVALID_DEACTIVATION_RECEIPT",
    )
    return refused.metadata["problem"]


def test_a_valid_receipt_frees_the_seat_at_once(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    key = InstallationKey.generate()
    first = activated(stub, sae, key)

    done = deactivate(
        stub,
        sae,
        first.activation_id,
        deactivation_receipt(key, first.activation_id, sae.serial_number, clock.now()),
    )

    assert done.activation.activation_id == first.activation_id
    assert active_activations(server, sae.row_id) == 0
    # The one seat is free right away: another machine activates now.
    moved = stub.ActivateInstallation(activate_request(sae, machine_fingerprint=OTHER_MACHINE))
    assert moved.activation.activation_id != first.activation_id
    # Freed by the proof, not by a transfer: the year's transfers are all left.
    released = [d for k, d in audit_kinds(server) if k == "activation.deactivated"]
    assert len(released) == 1
    assert released[0]["activation_id"] == first.activation_id
    assert released[0]["proof"] == "receipt"
    assert released[0]["release_kind"] == "RECEIPT"
    assert released[0]["transfers_remaining"] == "2"


def test_a_receipt_signed_by_another_key_is_refused(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    first = activated(stub, sae, InstallationKey.generate())
    forged = deactivation_receipt(
        InstallationKey.generate(), first.activation_id, sae.serial_number, clock.now()
    )

    assert refused_for(lambda: deactivate(stub, sae, first.activation_id, forged)) == "signature"
    assert active_activations(server, sae.row_id) == 1
    refusals = [d for k, d in audit_kinds(server) if k == "deactivation.refused"]
    assert refusals[-1]["reason"] == "INVALID_DEACTIVATION_RECEIPT"


def test_a_tampered_receipt_is_refused(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    key = InstallationKey.generate()
    first = activated(stub, sae, key)
    receipt = deactivation_receipt(key, first.activation_id, sae.serial_number, clock.now())
    receipt.sign_time.seconds += 1  # not what was signed

    assert refused_for(lambda: deactivate(stub, sae, first.activation_id, receipt)) == "signature"
    assert active_activations(server, sae.row_id) == 1


def test_a_receipt_copied_from_another_activation_is_refused(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    update_subscription(server, sae.row_id, installations_allowed=2)
    key_a, key_b = InstallationKey.generate(), InstallationKey.generate()
    a = activated(stub, sae, key_a)
    b = activated(stub, sae, key_b, machine_fingerprint=OTHER_MACHINE)
    of_a = deactivation_receipt(key_a, a.activation_id, sae.serial_number, clock.now())

    # A's genuine receipt, shown to deactivate B.
    problem = refused_for(lambda: deactivate(stub, sae, b.activation_id, of_a, OTHER_MACHINE))
    assert problem == "activation"
    # Signed by A's key for B's id: not B's key.
    relabelled = deactivation_receipt(key_a, b.activation_id, sae.serial_number, clock.now())
    problem = refused_for(lambda: deactivate(stub, sae, b.activation_id, relabelled, OTHER_MACHINE))
    assert problem == "signature"
    assert active_activations(server, sae.row_id) == 2


@pytest.mark.parametrize("minutes", [-11, 11])
def test_a_receipt_outside_the_window_is_refused(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock, minutes: int
) -> None:
    key = InstallationKey.generate()
    first = activated(stub, sae, key)
    when = clock.now() + dt.timedelta(minutes=minutes)
    stale = deactivation_receipt(key, first.activation_id, sae.serial_number, when)

    assert refused_for(lambda: deactivate(stub, sae, first.activation_id, stale)) == "stale"
    assert active_activations(server, sae.row_id) == 1
    # Nine minutes off is within the default window of ten.
    near = clock.now() + dt.timedelta(minutes=9 if minutes > 0 else -9)
    deactivate(
        stub,
        sae,
        first.activation_id,
        deactivation_receipt(key, first.activation_id, sae.serial_number, near),
    )
    assert active_activations(server, sae.row_id) == 0


def test_a_receipt_for_another_serial_is_refused(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    key = InstallationKey.generate()
    first = activated(stub, sae, key)
    caja = demo_serial(server, "demo", "CAJA")
    elsewhere = deactivation_receipt(key, first.activation_id, caja.serial_number, clock.now())

    assert refused_for(lambda: deactivate(stub, sae, first.activation_id, elsewhere)) == "serial"


def test_a_receipt_for_an_activation_without_a_key_is_refused(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    first = activated(stub, sae, None)  # an old installer: no key at activation
    receipt = deactivation_receipt(
        InstallationKey.generate(), first.activation_id, sae.serial_number, clock.now()
    )

    assert refused_for(lambda: deactivate(stub, sae, first.activation_id, receipt)) == "no_key"
    # Without a receipt it deactivates as before.
    deactivate(stub, sae, first.activation_id, None)
    assert active_activations(server, sae.row_id) == 0


@pytest.mark.parametrize(
    "spoil",
    [
        lambda r: setattr(r, "signature", r.signature[:63]),
        lambda r: setattr(r, "signature", b""),
        lambda r: setattr(r, "activation_id", ""),
        lambda r: setattr(r, "activation_id", "act_\x00"),
        lambda r: setattr(r, "serial_number", "not a serial"),
        lambda r: setattr(r.sign_time, "nanos", 5),
        lambda r: r.ClearField("sign_time"),
    ],
)
def test_malformed_receipts_are_invalid_arguments(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock, spoil: Any
) -> None:
    key = InstallationKey.generate()
    first = activated(stub, sae, key)
    receipt = deactivation_receipt(key, first.activation_id, sae.serial_number, clock.now())
    spoil(receipt)

    refused = failure(lambda: deactivate(stub, sae, first.activation_id, receipt))

    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert active_activations(server, sae.row_id) == 1


def test_the_server_checks_the_framing_the_client_signs() -> None:
    when = dt.datetime(2026, 12, 2, 6, 0, 1, tzinfo=dt.UTC)
    client_bytes = signed_payload(
        RECEIPT_PURPOSE, receipt_message("act_1", "abcde-12345-fgh7k", when)
    )
    server_bytes = receipts.signed_payload(
        receipts.PURPOSE, receipts.receipt_message("act_1", "ABCDE12345FGH7K", when)
    )
    assert client_bytes == server_bytes
    assert server_bytes == (
        b"aspel-licensing/deactivation-receipt\x00v1\x00act_1\x00ABCDE12345FGH7K\x001796191201"
    )


def test_a_receipt_of_a_replaced_key_is_no_proof_while_older_licences_run(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    """The fingerprint is in the `.lic`: anyone holding a copy can activate
    again with a key of their own. Their receipt must not free the seat while
    the licence signed under the first key may still run on the first machine."""
    original = InstallationKey.generate()
    first = activated(stub, sae, original)
    intruder = InstallationKey.generate()
    again = activated(stub, sae, intruder)
    assert again.activation_id == first.activation_id

    deactivate(
        stub,
        sae,
        first.activation_id,
        deactivation_receipt(intruder, first.activation_id, sae.serial_number, clock.now()),
    )

    released = [d for k, d in audit_kinds(server) if k == "activation.deactivated"]
    assert released[-1]["proof"] == "receipt_key_replaced"
    # Freed as a release without proof: a transfer of the year is used.
    assert released[-1]["release_kind"] == "TRANSFER"
    assert released[-1]["transfers_remaining"] == "1"


def test_a_receipt_of_a_replaced_key_proves_again_once_the_older_licences_ended(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    first = activated(stub, sae, InstallationKey.generate())
    newer = InstallationKey.generate()
    activated(stub, sae, newer)
    # Past every licence issued under the first key (validity, grace, margin).
    clock.advance(dt.timedelta(days=100))
    activated(stub, sae, newer)  # the machine checks in again under its new key

    deactivate(
        stub,
        sae,
        first.activation_id,
        deactivation_receipt(newer, first.activation_id, sae.serial_number, clock.now()),
    )

    released = [d for k, d in audit_kinds(server) if k == "activation.deactivated"]
    assert (released[-1]["proof"], released[-1]["release_kind"]) == ("receipt", "RECEIPT")
