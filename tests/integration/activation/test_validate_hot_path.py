"""ValidateLicense's hot path through the real server (both engines): a young
licence that states the same is handed out again (domain/licence_reuse.py),
and validations are recorded behind the call, except that a licence the
stored seat bound misses waits for the bound (domain/validation_records.py)."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.licence_reuse import LicenceReuse
from aspel.licensing.server.domain.signing import rotate_key_file
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.models import Account, Activation
from aspel.licensing.v1 import activation_pb2
from tests.conftest import RunningServer

from .conftest import DemoSerial, activate_request, demo_serial, failure, update_subscription
from .test_validate import validate_request


def certificate_of(response: Any) -> activation_pb2.LicenseCertificate:
    return activation_pb2.LicenseCertificate.FromString(response.signed_license.certificate)


def _activate(stub: Any, serial: DemoSerial) -> str:
    return str(stub.ActivateInstallation(activate_request(serial)).activation.activation_id)


def _row(server: RunningServer, activation_id: str) -> Activation:
    with server.services.store.connection():
        return Activation.get(Activation.public_id == activation_id)


# --- reuse ------------------------------------------------------------------------


def test_an_unchanged_licence_is_handed_out_again_while_young(
    stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    activation_id = _activate(stub, sae)
    first = stub.ValidateLicense(validate_request(sae, activation_id))
    clock.advance(dt.timedelta(minutes=4))
    again = stub.ValidateLicense(validate_request(sae, activation_id))
    assert again.signed_license == first.signed_license
    assert again.grace_end_time == first.grace_end_time


def test_an_old_licence_is_signed_anew(stub: Any, sae: DemoSerial, clock: FixedClock) -> None:
    activation_id = _activate(stub, sae)
    first = stub.ValidateLicense(validate_request(sae, activation_id))
    clock.advance(dt.timedelta(minutes=5, seconds=1))
    again = stub.ValidateLicense(validate_request(sae, activation_id))
    assert _signed_now(again, clock)
    assert again.signed_license != first.signed_license


def _signed_now(answer: Any, clock: FixedClock) -> bool:
    """Whether the answer's licence was signed at the clock's now (the tests
    advance it a second after the first licence: a kept one is older)."""
    return bool(certificate_of(answer).issue_time.ToDatetime(tzinfo=dt.UTC) == clock.now())


@pytest.mark.parametrize(
    "change",
    [
        # What RecordPayment moves.
        {"next_payment_date": dt.date(2027, 1, 9)},
        {"users": 9},
    ],
)
def test_a_change_of_the_serial_is_signed_anew(
    server: RunningServer, stub: Any, sae: DemoSerial, clock: FixedClock, change: dict[str, Any]
) -> None:
    activation_id = _activate(stub, sae)
    stub.ValidateLicense(validate_request(sae, activation_id))
    clock.advance(dt.timedelta(seconds=1))
    again = stub.ValidateLicense(validate_request(sae, activation_id))
    assert not _signed_now(again, clock)  # unchanged: the kept one
    update_subscription(server, sae.row_id, **change)
    again = stub.ValidateLicense(validate_request(sae, activation_id))
    assert _signed_now(again, clock)
    if "users" in change:
        assert certificate_of(again).users == 9


def test_a_new_razon_social_is_signed_anew(
    server: RunningServer, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    activation_id = _activate(stub, sae)
    stub.ValidateLicense(validate_request(sae, activation_id))
    clock.advance(dt.timedelta(seconds=1))
    with server.services.store.write():
        Account.update(razon_social="OTRA RAZON SA DE CV").where(
            Account.username == "demo"
        ).execute()
    again = stub.ValidateLicense(validate_request(sae, activation_id))
    assert certificate_of(again).razon_social == "OTRA RAZON SA DE CV"
    assert _signed_now(again, clock)


def test_a_suspended_serial_gets_no_kept_licence(
    server: RunningServer, stub: Any, sae: DemoSerial
) -> None:
    activation_id = _activate(stub, sae)
    stub.ValidateLicense(validate_request(sae, activation_id))
    update_subscription(server, sae.row_id, status="SUSPENDED")
    refused = failure(lambda: stub.ValidateLicense(validate_request(sae, activation_id)))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERIAL_NOT_ACTIVE",
    )


def test_a_rotated_key_signs_anew(
    stub: Any, sae: DemoSerial, settings: Settings, clock: FixedClock
) -> None:
    activation_id = _activate(stub, sae)
    first = stub.ValidateLicense(validate_request(sae, activation_id))
    clock.advance(dt.timedelta(seconds=1))
    new_key = rotate_key_file(pathlib.Path(settings.signing_key_file), dt.datetime.now(dt.UTC))
    again = stub.ValidateLicense(validate_request(sae, activation_id))
    assert first.signed_license.key_id != new_key.key_id
    assert again.signed_license.key_id == new_key.key_id
    assert _signed_now(again, clock)


def test_no_reuse_at_zero(
    server: RunningServer, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    server.services.activation.reuse = LicenceReuse(dt.timedelta(0))
    activation_id = _activate(stub, sae)
    stub.ValidateLicense(validate_request(sae, activation_id))
    clock.advance(dt.timedelta(seconds=1))
    again = stub.ValidateLicense(validate_request(sae, activation_id))
    assert _signed_now(again, clock)


# --- recording behind the call ----------------------------------------------------


@pytest.fixture
def behind(server: RunningServer) -> Iterator[Any]:
    """The server's recorder running, with a delay no test waits for: what
    it writes, it writes because the call needed it or the test flushed."""
    recorder = server.services.activation.recorder
    recorder.delay_seconds = 3600.0
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop(10)


def test_the_bound_is_kept_ahead_behind_the_call_and_flushed_in_one_batch(
    server: RunningServer,
    stub: Any,
    sae: DemoSerial,
    clock: FixedClock,
    behind: Any,
) -> None:
    coi = _other_serial(server)
    ids = [_activate(stub, sae), _activate(stub, coi)]
    before = [_row(server, i) for i in ids]
    # Half the interval gone: the stored bounds still cover a licence issued now.
    clock.advance(dt.timedelta(minutes=40))
    stub.ValidateLicense(validate_request(sae, ids[0]))
    stub.ValidateLicense(validate_request(coi, ids[1]))
    assert [_row(server, i).license_expire_time for i in ids] == [
        b.license_expire_time for b in before
    ]
    assert behind.pending() == 2
    behind.flush()
    assert behind.pending() == 0
    after = [_row(server, i) for i in ids]
    bound = server.services.activation.license_bound(clock.now())
    assert [a.license_expire_time for a in after] == [bound, bound]
    # The recorded time is only written once an interval.
    assert [a.last_validate_time for a in after] == [b.last_validate_time for b in before]


def test_an_uncovered_licence_waits_for_its_bound(
    server: RunningServer, stub: Any, sae: DemoSerial, clock: FixedClock, behind: Any
) -> None:
    activation_id = _activate(stub, sae)
    clock.advance(dt.timedelta(minutes=61))
    answer = stub.ValidateLicense(validate_request(sae, activation_id))
    row = _row(server, activation_id)
    grace_end = certificate_of(answer).grace_end_time.ToDatetime(tzinfo=dt.UTC)
    assert row.license_expire_time >= grace_end
    assert row.license_expire_time == server.services.activation.license_bound(clock.now())
    assert row.last_validate_time == clock.now()
    assert behind.pending() == 0


def _other_serial(server: RunningServer) -> DemoSerial:
    return demo_serial(server, "demo", "COI")


# --- ActivateInstallation: the work done before its transaction ----------------


def test_a_retried_activation_replays_its_answer_after_the_serial_changed(
    server: RunningServer, stub: Any, sae: DemoSerial
) -> None:
    request = activate_request(sae, request_id="7d4f1c2e-0b7a-4f43-9a51-3f0d2c9e8b61")
    first = stub.ActivateInstallation(request)
    # The checks run before the transaction now; a done request still replays.
    update_subscription(server, sae.row_id, status="SUSPENDED")
    again = stub.ActivateInstallation(request)
    assert again.activation.activation_id == first.activation.activation_id
    assert again.signed_license == first.signed_license


def test_an_activation_signed_before_its_transaction_states_what_was_stored(
    server: RunningServer, stub: Any, sae: DemoSerial
) -> None:
    key = bytes(range(32))
    answer = stub.ActivateInstallation(activate_request(sae, installation_public_key=key))
    certificate = certificate_of(answer)
    row = _row(server, answer.activation.activation_id)
    assert certificate.activation_id == row.public_id
    assert certificate.installation_public_key == key
    assert row.installation_public_key == key.hex()
