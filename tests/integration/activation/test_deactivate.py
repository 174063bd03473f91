"""DeactivateInstallation through the real server: freeing seats, rate limits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import grpc
from google.rpc import error_details_pb2

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.v1 import activation_service_pb2

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


def deactivate_request(
    serial: DemoSerial, activation_id: str, **overrides: Any
) -> activation_service_pb2.DeactivateInstallationRequest:
    fields = {
        "serial_number": serial.serial_number,
        "activation_id": activation_id,
        "machine_fingerprint": MACHINE,
        **overrides,
    }
    return activation_service_pb2.DeactivateInstallationRequest(**fields)


def test_deactivating_frees_the_seat_for_another_machine(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    first = stub.ActivateInstallation(activate_request(sae)).activation

    response = stub.DeactivateInstallation(deactivate_request(sae, first.activation_id))

    assert response.activation.activation_id == first.activation_id
    assert response.activation.deactivate_time.ToDatetime(tzinfo=dt.UTC) == clock.now()
    assert active_activations(server, sae.row_id) == 0
    moved = stub.ActivateInstallation(activate_request(sae, machine_fingerprint=OTHER_MACHINE))
    assert moved.activation.activation_id != first.activation_id
    deactivated = [d for k, d in audit_kinds(server) if k == "activation.deactivated"]
    # The first deactivation of the year frees the seat at once: a transfer.
    assert deactivated == [
        {
            "activation_id": first.activation_id,
            "release_kind": "TRANSFER",
            "seat_free_time": clock.now().isoformat(),
            "transfers_remaining": "1",
        }
    ]


def test_a_deactivated_installation_no_longer_validates(stub: Any, sae: DemoSerial) -> None:
    first = stub.ActivateInstallation(activate_request(sae)).activation
    stub.DeactivateInstallation(deactivate_request(sae, first.activation_id))

    refused = failure(
        lambda: stub.ValidateLicense(
            activation_service_pb2.ValidateLicenseRequest(
                serial_number=sae.serial_number,
                activation_id=first.activation_id,
                machine_fingerprint=MACHINE,
            )
        )
    )

    assert refused.reason == "ACTIVATION_NOT_FOUND"


def test_reactivating_the_same_machine_after_deactivation_is_a_new_activation(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(activate_request(sae)).activation
    stub.DeactivateInstallation(deactivate_request(sae, first.activation_id))

    again = stub.ActivateInstallation(activate_request(sae)).activation

    assert again.activation_id != first.activation_id
    assert active_activations(server, sae.row_id) == 1


def test_another_machine_cannot_deactivate_an_installation(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(activate_request(sae)).activation

    refused = failure(
        lambda: stub.DeactivateInstallation(
            deactivate_request(sae, first.activation_id, machine_fingerprint=OTHER_MACHINE)
        )
    )

    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "ACTIVATION_NOT_FOUND")
    assert active_activations(server, sae.row_id) == 1


def test_deactivating_twice_is_not_found_but_a_retry_with_the_request_id_is_the_same_answer(
    stub: Any, sae: DemoSerial
) -> None:
    first = stub.ActivateInstallation(activate_request(sae)).activation
    request_id = str(uuid.uuid4())
    done = stub.DeactivateInstallation(
        deactivate_request(sae, first.activation_id, request_id=request_id)
    )

    retry = stub.DeactivateInstallation(
        deactivate_request(sae, first.activation_id, request_id=request_id)
    )
    again = failure(
        lambda: stub.DeactivateInstallation(deactivate_request(sae, first.activation_id))
    )

    assert retry == done
    assert again.reason == "ACTIVATION_NOT_FOUND"


def test_deactivations_are_rate_limited_per_serial(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    # Seats enough that the third release, past the transfers, still leaves one.
    update_subscription(server, sae.row_id, installations_allowed=5)
    for n in range(3):
        activation = stub.ActivateInstallation(
            activate_request(sae, machine_fingerprint=f"machine-{n}")
        ).activation
        stub.DeactivateInstallation(
            deactivate_request(sae, activation.activation_id, machine_fingerprint=f"machine-{n}")
        )
        clock.advance(dt.timedelta(hours=1))
    fourth = stub.ActivateInstallation(activate_request(sae)).activation

    refused = failure(
        lambda: stub.DeactivateInstallation(deactivate_request(sae, fourth.activation_id))
    )

    assert (refused.code, refused.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "DEACTIVATION_RATE_LIMITED",
    )
    # The window opened with the first deactivation, three hours ago, and lasts a day.
    retry_info = next(d for d in refused.details if isinstance(d, error_details_pb2.RetryInfo))
    assert retry_info.retry_delay.ToTimedelta() == dt.timedelta(hours=21)
    retry_time = dt.datetime.fromisoformat(refused.metadata["retry_time"])
    assert retry_time == clock.now() + dt.timedelta(hours=21)

    clock.advance(dt.timedelta(hours=21))
    stub.DeactivateInstallation(deactivate_request(sae, fourth.activation_id))


def test_a_refused_deactivation_does_not_count_against_the_limit(
    stub: Any, sae: DemoSerial
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    for _ in range(5):
        failure(lambda: stub.DeactivateInstallation(deactivate_request(sae, "act_doesnotexist")))

    stub.DeactivateInstallation(deactivate_request(sae, activation.activation_id))


def test_a_request_id_reused_for_another_deactivation_is_refused(
    stub: Any, sae: DemoSerial
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    request_id = str(uuid.uuid4())
    stub.DeactivateInstallation(
        deactivate_request(sae, activation.activation_id, request_id=request_id)
    )

    refused = failure(
        lambda: stub.DeactivateInstallation(
            deactivate_request(sae, "act_other", request_id=request_id)
        )
    )

    assert refused.reason == "REQUEST_ID_REUSED"
