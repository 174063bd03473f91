"""ActivateInstallation through the real server: every rule and reason."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
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
    active_activations,
    audit_kinds,
    demo_serial,
    describe,
    failure,
    local,
    update_subscription,
    upgrade,
)


def test_activation_returns_the_activation_and_a_licence_that_verifies(
    stub: Any, sae: DemoSerial, pinned: PinnedKeys, clock: FixedClock
) -> None:
    response = stub.ActivateInstallation(activate_request(sae))

    assert response.activation.activation_id.startswith("act_")
    assert response.activation.serial_number == sae.serial_number
    assert response.activation.machine_fingerprint == MACHINE
    assert (
        response.activation.create_time.ToDatetime().isoformat()
        == clock.now().replace(tzinfo=None).isoformat()
    )
    verified = verify_license(
        response.signed_license,
        pinned_keys=pinned,
        product_code="SAE",
        version="7.0",
        machine_fingerprint=MACHINE,
        now=clock.now(),
    )
    assert verified.serial_number == sae.serial_number
    assert verified.activation_id == response.activation.activation_id
    assert verified.razon_social == sae.razon_social
    assert verified.users == 1
    assert verified.issue_time == clock.now()


@pytest.mark.parametrize(
    "typed",
    [
        "Comercializadora Demo, S.A. de C.V.",
        "COMERCIALIZADORA DEMO SA DE CV",
        "comercializadora  démo,  s. a. de c. v.",
        "Comercializadora Demo Sociedad Anónima de Capital Variable",
        "Comercializadora Demo",
    ],
)
def test_the_razon_social_matches_however_it_is_written(
    stub: Any, sae: DemoSerial, typed: str
) -> None:
    response = stub.ActivateInstallation(activate_request(sae, razon_social=typed))
    assert response.activation.activation_id


@pytest.mark.parametrize(
    "typed", ["Comercializadora Ejemplo, S.A. de C.V.", "Comercializadora Demo, S.C.", "Demo"]
)
def test_another_razon_social_is_refused_without_revealing_the_registered_one(
    stub: Any, sae: DemoSerial, typed: str
) -> None:
    refused = failure(lambda: stub.ActivateInstallation(activate_request(sae, razon_social=typed)))

    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    assert refused.reason == "RAZON_SOCIAL_MISMATCH"
    shown = refused.message_es + " ".join(refused.metadata.values()) + repr(refused.details)
    for part in ("Comercializadora", "COMERCIALIZADORA", "Demo, S.A.", "DEMO SA"):
        assert part not in shown


def test_an_unknown_serial_is_not_found(stub: Any, sae: DemoSerial) -> None:
    unknown = serials.display(serials.generate())
    refused = failure(
        lambda: stub.ActivateInstallation(activate_request(sae, serial_number=unknown))
    )
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("serial_number", "ABCDE-12345"),
        ("razon_social", "  "),
        ("product_code", "WORD"),
        ("version", "ocho"),
        ("machine_fingerprint", ""),
        ("machine_fingerprint", "has spaces inside"),
        ("machine_fingerprint", "x" * 129),
        ("hostname", "h" * 256),
        ("request_id", "not-a-uuid"),
    ],
)
def test_bad_fields_are_invalid_arguments_naming_the_field(
    stub: Any, sae: DemoSerial, field: str, value: str
) -> None:
    refused = failure(lambda: stub.ActivateInstallation(activate_request(sae, **{field: value})))

    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    bad_request = next(d for d in refused.details if hasattr(d, "field_violations"))
    assert [v.field for v in bad_request.field_violations] == [field]


def test_a_newer_installer_on_a_serial_not_yet_upgraded_is_a_version_mismatch(
    stub: Any, sae: DemoSerial
) -> None:
    refused = failure(lambda: stub.ActivateInstallation(activate_request(sae, version="8.0")))

    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "VERSION_MISMATCH",
    )
    assert refused.metadata["serial_version"] == "7.0"
    assert refused.metadata["installer_version"] == "8.0"
    assert "suggested_serial_number" not in refused.metadata


def test_a_version_mismatch_names_the_serial_of_the_installers_version(
    server: Any, stub: Any, portal: Any, sae: DemoSerial
) -> None:
    new_serial = upgrade(server, portal, sae.serial_number).subscription.serial_number

    refused = failure(lambda: stub.ActivateInstallation(activate_request(sae, version="8.0")))

    assert refused.reason == "VERSION_MISMATCH"
    assert refused.metadata["suggested_serial_number"] == new_serial
    assert new_serial in refused.message_es


def test_the_old_installer_on_the_new_serial_is_told_the_old_serial(
    server: Any, stub: Any, portal: Any, sae: DemoSerial
) -> None:
    new_serial = upgrade(server, portal, sae.serial_number).subscription.serial_number
    new = DemoSerial(new_serial, "SAE", "8.0", sae.razon_social, 0)

    refused = failure(lambda: stub.ActivateInstallation(activate_request(new, version="7.0")))

    assert refused.reason == "VERSION_MISMATCH"
    assert refused.metadata["suggested_serial_number"] == sae.serial_number


def test_another_products_installer_is_a_version_mismatch_naming_that_products_serial(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    caja = demo_serial(server, "demo", "CAJA")
    refused = failure(
        lambda: stub.ActivateInstallation(
            activate_request(sae, product_code="CAJA", version=caja.version)
        )
    )
    assert refused.reason == "VERSION_MISMATCH"
    assert refused.metadata["suggested_serial_number"] == caja.serial_number


def test_a_superseded_serial_still_activates_before_its_retire_date(
    server: Any, stub: Any, portal: Any, sae: DemoSerial, pinned: PinnedKeys, clock: FixedClock
) -> None:
    upgraded = upgrade(server, portal, sae.serial_number)
    assert upgraded.previous_subscription.state == subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED

    response = stub.ActivateInstallation(activate_request(sae))

    verified = verify_license(
        response.signed_license,
        pinned_keys=pinned,
        product_code="SAE",
        version="7.0",
        machine_fingerprint=MACHINE,
        now=clock.now(),
    )
    retire = upgraded.previous_subscription.retire_date
    assert verified.retire_date is not None
    assert (verified.retire_date.year, verified.retire_date.month, verified.retire_date.day) == (
        retire.year,
        retire.month,
        retire.day,
    )


@pytest.mark.parametrize("status", ["SUSPENDED"])
def test_a_suspended_serial_is_not_active(
    server: Any, stub: Any, sae: DemoSerial, status: str
) -> None:
    update_subscription(server, sae.row_id, status=status)
    refused = failure(lambda: stub.ActivateInstallation(activate_request(sae)))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERIAL_NOT_ACTIVE",
    )
    assert refused.metadata["state"] == status
    assert "successor_serial_number" not in refused.metadata


def test_a_retired_serial_is_not_active_and_names_its_successor(
    server: Any, stub: Any, portal: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    upgraded = upgrade(server, portal, sae.serial_number)
    retire = upgraded.previous_subscription.retire_date
    clock.set(local(retire.year, retire.month, retire.day) + dt.timedelta(days=1))

    refused = failure(lambda: stub.ActivateInstallation(activate_request(sae)))

    assert refused.reason == "SERIAL_NOT_ACTIVE"
    assert refused.metadata["state"] == "INACTIVE"
    assert refused.metadata["successor_serial_number"] == upgraded.subscription.serial_number


def test_the_same_machine_again_gets_the_same_activation_and_no_second_seat(
    server: Any, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    first = stub.ActivateInstallation(activate_request(sae))
    clock.advance(dt.timedelta(hours=1))

    again = stub.ActivateInstallation(activate_request(sae, hostname="renamed"))

    assert again.activation.activation_id == first.activation.activation_id
    assert again.signed_license.certificate != first.signed_license.certificate  # fresh
    assert active_activations(server, sae.row_id) == 1


def test_a_second_machine_beyond_the_limit_is_refused(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    stub.ActivateInstallation(activate_request(sae))

    refused = failure(
        lambda: stub.ActivateInstallation(activate_request(sae, machine_fingerprint=OTHER_MACHINE))
    )

    assert (refused.code, refused.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "ACTIVATION_LIMIT_REACHED",
    )
    assert refused.metadata["installations_allowed"] == "1"
    assert active_activations(server, sae.row_id) == 1


def test_the_limit_is_the_subscriptions_installations_allowed(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    update_subscription(server, sae.row_id, installations_allowed=3)
    for n in range(3):
        stub.ActivateInstallation(activate_request(sae, machine_fingerprint=f"machine-{n}"))

    refused = failure(
        lambda: stub.ActivateInstallation(activate_request(sae, machine_fingerprint="machine-3"))
    )

    assert refused.reason == "ACTIVATION_LIMIT_REACHED"
    assert refused.metadata["installations_allowed"] == "3"
    assert active_activations(server, sae.row_id) == 3


def test_twenty_parallel_activations_on_a_limit_of_one_leave_exactly_one(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        request = activate_request(sae, machine_fingerprint=f"parallel-{n:02d}")
        start.wait()
        try:
            stub.ActivateInstallation(request, timeout=60)
            outcome = "OK"
        except grpc.RpcError as error:
            outcome = describe(error).reason
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert Counter(outcomes) == Counter({"OK": 1, "ACTIVATION_LIMIT_REACHED": 19})
    assert active_activations(server, sae.row_id) == 1


def test_parallel_activations_of_one_machine_share_one_activation(
    server: Any, stub: Any, sae: DemoSerial
) -> None:
    start = threading.Barrier(10)
    ids: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        response = stub.ActivateInstallation(activate_request(sae), timeout=60)
        with lock:
            ids.append(response.activation.activation_id)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(ids) == 10 and len(set(ids)) == 1
    assert active_activations(server, sae.row_id) == 1


def test_a_retry_with_the_same_request_id_gets_the_first_answer(
    stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    request_id = str(uuid.uuid4())
    first = stub.ActivateInstallation(activate_request(sae, request_id=request_id))
    clock.advance(dt.timedelta(minutes=5))

    retry = stub.ActivateInstallation(activate_request(sae, request_id=request_id))

    assert retry.SerializeToString() == first.SerializeToString()


def test_a_request_id_reused_for_another_request_is_refused(stub: Any, sae: DemoSerial) -> None:
    request_id = str(uuid.uuid4())
    stub.ActivateInstallation(activate_request(sae, request_id=request_id))

    refused = failure(
        lambda: stub.ActivateInstallation(
            activate_request(sae, request_id=request_id, machine_fingerprint=OTHER_MACHINE)
        )
    )

    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


def test_activations_and_refusals_are_audited(server: Any, stub: Any, sae: DemoSerial) -> None:
    created = stub.ActivateInstallation(activate_request(sae))
    failure(lambda: stub.ActivateInstallation(activate_request(sae, razon_social="Otra, S.C.")))

    events = audit_kinds(server)
    assert (
        "activation.created",
        {
            "activation_id": created.activation.activation_id,
            "product_code": "SAE",
            "version": "7.0",
            "hostname": "CAJA-01",
        },
    ) in events
    refused = [d for k, d in events if k == "activation.refused"]
    assert refused and refused[-1]["reason"] == "RAZON_SOCIAL_MISMATCH"
    assert "razon_social" not in refused[-1]


def test_the_certificate_is_a_license_certificate_of_exactly_the_signed_bytes(
    stub: Any, sae: DemoSerial
) -> None:
    response = stub.ActivateInstallation(activate_request(sae))
    certificate = activation_pb2.LicenseCertificate.FromString(response.signed_license.certificate)
    assert certificate.activation_id == response.activation.activation_id
    assert certificate.machine_fingerprint == MACHINE
    assert len(response.signed_license.signature) == 64


def test_activate_request_message_is_the_documented_one() -> None:
    # Guards the field names of the contract the installers are built against.
    names = [f.name for f in activation_service_pb2.ActivateInstallationRequest.DESCRIPTOR.fields]
    assert names == [
        "serial_number",
        "razon_social",
        "product_code",
        "version",
        "machine_fingerprint",
        "hostname",
        "request_id",
        "machine_components",
        "installation_public_key",
    ]
