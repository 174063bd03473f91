"""The activation limit after ChangeSeats lowers a serial's seats.

The limit counts live activations, whatever seat numbers happen to be free:
machines that held seats above the new limit keep them, and no new machine
gets in until the live count is under the limit.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import grpc
import pytest

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.store.models import Activation
from aspel.licensing.v1 import activation_service_pb2, admin_service_pb2

from ..admin.conftest import Admin, make_keys
from .conftest import DemoSerial, activate_request, active_activations, describe, failure


@pytest.fixture
def admin(server: Any) -> Admin:
    return Admin(server.channel, make_keys(server.services))


def _activate(stub: Any, sae: DemoSerial, machine: str) -> str:
    response = stub.ActivateInstallation(activate_request(sae, machine_fingerprint=machine))
    return str(response.activation.activation_id)


def _deactivate(stub: Any, sae: DemoSerial, activation_id: str, machine: str) -> None:
    stub.DeactivateInstallation(
        activation_service_pb2.DeactivateInstallationRequest(
            serial_number=sae.serial_number,
            activation_id=activation_id,
            machine_fingerprint=machine,
        )
    )


def _seats(admin: Admin, sae: DemoSerial, seats: int) -> None:
    admin.billing.ChangeSeats(
        admin_service_pb2.ChangeSeatsRequest(
            serial_number=sae.serial_number, installations_allowed=seats
        )
    )


def test_freeing_seat_one_after_lowering_the_seats_does_not_let_a_machine_in(
    server: Any, stub: Any, admin: Admin, sae: DemoSerial
) -> None:
    _seats(admin, sae, 3)
    ids = [_activate(stub, sae, f"machine-{n}") for n in range(3)]
    _seats(admin, sae, 2)
    _deactivate(stub, sae, ids[0], "machine-0")

    refused = failure(lambda: _activate(stub, sae, "machine-new"))

    assert (refused.code, refused.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "ACTIVATION_LIMIT_REACHED",
    )
    assert refused.metadata["installations_allowed"] == "2"
    assert active_activations(server, sae.row_id) == 2


def test_parallel_activations_after_lowering_the_seats_never_exceed_the_limit(
    server: Any, stub: Any, admin: Admin, sae: DemoSerial, clock: FixedClock
) -> None:
    # Five live on five seats; the seats drop to three and seats 1-3 are freed:
    # two machines still hold seats 4 and 5, so only one more may get in.
    _seats(admin, sae, 5)
    ids = [_activate(stub, sae, f"machine-{n}") for n in range(5)]
    _seats(admin, sae, 3)
    for n in range(3):
        _deactivate(stub, sae, ids[n], f"machine-{n}")
    assert active_activations(server, sae.row_id) == 2
    # The third release came after the year's two transfers: its seat counts
    # until its licence expires. From then on seats 1-3 are all free.
    with server.services.store.connection():
        pending = Activation.get(Activation.public_id == ids[2])
    assert pending.seat_freed_time is None
    clock.set(pending.license_expire_time)

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
    assert active_activations(server, sae.row_id) == 3
