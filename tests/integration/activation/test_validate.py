"""ValidateLicense through the real server: state, retire date, fresh licence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
import pytest

from aspel.licensing.client.license_verification import PinnedKeys, verify_license
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.v1 import activation_pb2, activation_service_pb2, subscription_pb2

from .conftest import (
    MACHINE,
    OTHER_MACHINE,
    DemoSerial,
    activate_request,
    audit_kinds,
    demo_serial,
    failure,
    local,
    update_subscription,
    upgrade,
)


def validate_request(
    serial: DemoSerial, activation_id: str, **overrides: Any
) -> activation_service_pb2.ValidateLicenseRequest:
    fields = {
        "serial_number": serial.serial_number,
        "activation_id": activation_id,
        "machine_fingerprint": MACHINE,
        **overrides,
    }
    return activation_service_pb2.ValidateLicenseRequest(**fields)


def certificate_of(response: Any) -> activation_pb2.LicenseCertificate:
    return activation_pb2.LicenseCertificate.FromString(response.signed_license.certificate)


def test_an_active_serial_validates_with_a_fresh_licence(
    stub: Any, sae: DemoSerial, pinned: PinnedKeys, clock: FixedClock
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    clock.advance(dt.timedelta(days=3))

    response = stub.ValidateLicense(validate_request(sae, activation.activation_id))

    assert response.state == subscription_pb2.SUBSCRIPTION_STATE_ACTIVE
    assert not response.HasField("retire_date")
    assert response.successor_serial_number == ""
    verified = verify_license(
        response.signed_license,
        pinned_keys=pinned,
        product_code="SAE",
        version="7.0",
        machine_fingerprint=MACHINE,
        now=clock.now(),
    )
    assert verified.issue_time == clock.now()
    assert verified.activation_id == activation.activation_id


@pytest.mark.parametrize(
    "change",
    [
        {"activation_id": "act_0000000000000000"},
        {"machine_fingerprint": OTHER_MACHINE},
    ],
)
def test_an_activation_id_or_machine_that_does_not_match_is_not_found(
    stub: Any, sae: DemoSerial, change: dict[str, str]
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation

    fields = {"activation_id": activation.activation_id, **change}
    refused = failure(lambda: stub.ValidateLicense(validate_request(sae, **fields)))

    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "ACTIVATION_NOT_FOUND")


def test_an_activation_of_another_serial_is_not_found(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    caja = demo_serial(server, "demo", "CAJA")
    other = stub.ActivateInstallation(activate_request(caja)).activation

    refused = failure(lambda: stub.ValidateLicense(validate_request(sae, other.activation_id)))

    assert refused.reason == "ACTIVATION_NOT_FOUND"


def test_an_unknown_serial_is_not_found(stub: Any, sae: DemoSerial) -> None:
    unknown = serials.display(serials.generate())
    refused = failure(
        lambda: stub.ValidateLicense(validate_request(sae, "act_1", serial_number=unknown))
    )
    assert refused.reason == "SERIAL_NOT_FOUND"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("serial_number", ""),
        ("activation_id", ""),
        ("activation_id", "act 1"),
        ("machine_fingerprint", ""),
    ],
)
def test_bad_fields_are_invalid_arguments(
    stub: Any, sae: DemoSerial, field: str, value: str
) -> None:
    fields = {"activation_id": "act_1", field: value}
    refused = failure(lambda: stub.ValidateLicense(validate_request(sae, **fields)))
    assert refused.reason == "INVALID_ARGUMENT"


def test_a_superseded_serial_validates_on_its_retire_date_and_is_refused_the_day_after(
    server: Any,
    stub: Any,
    portal: Any,
    sae: DemoSerial,
    pinned: PinnedKeys,
    clock: FixedClock,
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    upgraded = upgrade(server, portal, sae.serial_number)
    retire = upgraded.previous_subscription.retire_date
    retire_day = dt.date(retire.year, retire.month, retire.day)
    successor = upgraded.subscription.serial_number

    clock.set(local(retire.year, retire.month, retire.day, 23, 59))
    response = stub.ValidateLicense(validate_request(sae, activation.activation_id))

    assert response.state == subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED
    assert (response.retire_date.year, response.retire_date.month, response.retire_date.day) == (
        retire.year,
        retire.month,
        retire.day,
    )
    assert response.successor_serial_number == successor
    verified = verify_license(
        response.signed_license,
        pinned_keys=pinned,
        product_code="SAE",
        version="7.0",
        machine_fingerprint=MACHINE,
        now=clock.now(),
    )
    # The licence ends with the retire date, in the business time zone.
    next_day = retire_day + dt.timedelta(days=1)
    assert verified.expire_time == local(next_day.year, next_day.month, next_day.day, 0, 0)

    clock.set(local(next_day.year, next_day.month, next_day.day, 0, 0))
    refused = failure(lambda: stub.ValidateLicense(validate_request(sae, activation.activation_id)))

    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SERIAL_RETIRED")
    assert refused.metadata["successor_serial_number"] == successor
    assert refused.metadata["retire_date"] == retire_day.isoformat()
    assert successor in refused.message_es


def test_a_suspended_serial_is_refused(server: Any, stub: Any, sae: DemoSerial) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    update_subscription(server, sae.row_id, status="SUSPENDED")

    refused = failure(lambda: stub.ValidateLicense(validate_request(sae, activation.activation_id)))

    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERIAL_NOT_ACTIVE",
    )


def test_the_licence_ends_with_the_next_payment_date(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    update_subscription(server, sae.row_id, next_payment_date=dt.date(2026, 11, 30))

    response = stub.ActivateInstallation(activate_request(sae))

    expire = certificate_of(response).expire_time.ToDatetime(tzinfo=dt.UTC)
    assert expire == local(2026, 12, 1, 0, 0)


def test_a_next_payment_date_past_its_grace_gives_a_read_only_licence(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    update_subscription(server, sae.row_id, next_payment_date=dt.date(2026, 11, 1))

    response = stub.ActivateInstallation(activate_request(sae))

    # Overdue since 2 November; its 7 days of grace ended with 8 November.
    certificate = certificate_of(response)
    assert certificate.expire_time.ToDatetime(tzinfo=dt.UTC) == local(2026, 11, 9, 0, 0)
    assert certificate.grace_end_time == certificate.expire_time
    assert certificate.read_only_access and certificate.payment_overdue


def test_a_perpetual_licence_still_expires_within_thirty_days(
    server: Any, stub: Any, clock: FixedClock
) -> None:
    coi = demo_serial(server, "demo", "COI")

    response = stub.ActivateInstallation(activate_request(coi))

    certificate = certificate_of(response)
    assert certificate.expire_time.ToDatetime(tzinfo=dt.UTC) == clock.now() + dt.timedelta(days=30)


def test_refused_validations_are_audited(server: Any, stub: Any, sae: DemoSerial) -> None:
    failure(lambda: stub.ValidateLicense(validate_request(sae, "act_0000")))

    refused = [d for k, d in audit_kinds(server) if k == "validation.refused"]
    assert refused == [{"activation_id": "act_0000", "reason": "ACTIVATION_NOT_FOUND"}]


def test_validations_are_recorded_at_most_once_an_hour(
    stub: Any, sae: DemoSerial, clock: FixedClock, server: Any
) -> None:
    from aspel.licensing.server.store.models import Activation

    activation = stub.ActivateInstallation(activate_request(sae)).activation

    def recorded() -> dt.datetime:
        with server.services.store.connection():
            row = Activation.get(Activation.public_id == activation.activation_id)
            return row.last_validate_time  # type: ignore[no-any-return]

    activated_at = recorded()
    clock.advance(dt.timedelta(minutes=59))
    stub.ValidateLicense(validate_request(sae, activation.activation_id))
    assert recorded() == activated_at  # within the interval: a read only

    clock.advance(dt.timedelta(minutes=2))
    stub.ValidateLicense(validate_request(sae, activation.activation_id))
    assert recorded() == clock.now()
