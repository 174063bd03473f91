"""Seats that hold after a release, through the real server (both engines):
the portal's and support's releases, transfers per rolling year, pending
seats freed by the clock, the reclaim of silent machines, and concurrent
releases and activations never exceeding the seats."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import grpc
import pytest

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.store.models import Activation, AuditEvent, OutboxMessage
from aspel.licensing.v1 import (
    activation_pb2,
    activation_service_pb2,
    activation_service_pb2_grpc,
    admin_service_pb2,
    admin_service_pb2_grpc,
    licensing_service_pb2,
    licensing_service_pb2_grpc,
)
from tests.conftest import RunningServer

from .conftest import (
    DEMO_PASSWORD,
    MACHINE,
    DemoSerial,
    activate_request,
    demo_serial,
    describe,
    failure,
    update_subscription,
)

PENDING = activation_pb2.ACTIVATION_STATE_RELEASE_PENDING
RELEASED = activation_pb2.ACTIVATION_STATE_RELEASED
ACTIVE = activation_pb2.ACTIVATION_STATE_ACTIVE


class Portal:
    """LicensingService as one demo user, logged in anew for each call (the
    tests move the clock past a session's idle timeout)."""

    def __init__(self, server: RunningServer, username: str, password: str) -> None:
        self.stub = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
        self.credentials = licensing_service_pb2.AuthenticateRequest(
            username=username, password=password
        )

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        login = self.stub.Authenticate(self.credentials)
        return (("authorization", f"Bearer {login.session_token}"),)

    def release(
        self, serial: str, activation_id: str, request_id: str = ""
    ) -> licensing_service_pb2.ReleaseActivationResponse:
        return self.stub.ReleaseActivation(
            licensing_service_pb2.ReleaseActivationRequest(
                serial_number=serial, activation_id=activation_id, request_id=request_id
            ),
            metadata=self.metadata,
        )

    def list(
        self, serial: str, page_size: int = 0, page_token: str = ""
    ) -> licensing_service_pb2.ListActivationsResponse:
        return self.stub.ListActivations(
            licensing_service_pb2.ListActivationsRequest(
                serial_number=serial, page_size=page_size, page_token=page_token
            ),
            metadata=self.metadata,
        )


@pytest.fixture
def portal_user(server: RunningServer) -> Portal:
    return Portal(server, "demo", DEMO_PASSWORD)


@pytest.fixture
def support(server: RunningServer) -> Any:
    with server.services.store.connection():
        secret = server.services.admin.keys.create("support-desk", ["support"], "pytest").secret
    stub = admin_service_pb2_grpc.AdminServiceStub(server.channel)
    metadata = (("authorization", f"Bearer {secret}"),)

    def release(request: admin_service_pb2.AdminServiceReleaseActivationRequest) -> Any:
        return stub.ReleaseActivation(request, metadata=metadata)

    def lookup(serial: str) -> Any:
        return stub.LookupSerial(
            admin_service_pb2.LookupSerialRequest(serial_number=serial), metadata=metadata
        )

    release.lookup = lookup  # type: ignore[attr-defined]
    return release


def activate(stub: Any, serial: DemoSerial, machine: str) -> activation_pb2.Activation:
    request = activate_request(serial, machine_fingerprint=machine, hostname=machine.upper())
    activation: activation_pb2.Activation = stub.ActivateInstallation(request).activation
    return activation


def when(value: Any) -> dt.datetime:
    instant: dt.datetime = value.ToDatetime(tzinfo=dt.UTC)
    return instant


def events(server: RunningServer, kind: str) -> list[dict[str, Any]]:
    with server.services.store.connection():
        return [
            dict(e.detail)
            for e in AuditEvent.select().where(AuditEvent.kind == kind).order_by(AuditEvent.id)
        ]


def emails(server: RunningServer) -> list[dict[str, Any]]:
    with server.services.store.connection():
        return [
            dict(m.payload, recipient=m.recipient)
            for m in OutboxMessage.select()
            .where(OutboxMessage.kind == "installation_released")
            .order_by(OutboxMessage.id)
        ]


def held_seats(server: RunningServer, row_id: int) -> list[int]:
    with server.services.store.connection():
        return sorted(
            a.seat
            for a in Activation.select().where(
                (Activation.subscription == row_id) & Activation.seat_freed_time.is_null()
            )
        )


# --- the rule, end to end ---------------------------------------------------------


def test_a_release_uses_a_transfer_then_holds_the_seat_until_the_licence_expires(
    server: RunningServer, stub: Any, sae: DemoSerial, portal_user: Portal, clock: FixedClock
) -> None:
    """sae allows one installation and the year's two transfers: the third
    machine's release while its licence is valid keeps the seat counted."""
    first = activate(stub, sae, "machine-a")
    released = portal_user.release(sae.serial_number, first.activation_id)
    assert (released.activation.state, released.transfers_remaining) == (RELEASED, 1)
    second = activate(stub, sae, "machine-b")
    assert portal_user.release(sae.serial_number, second.activation_id).transfers_remaining == 0
    third = activate(stub, sae, "machine-c")

    pending = portal_user.release(sae.serial_number, third.activation_id).activation

    assert pending.state == PENDING
    assert pending.seat_free_time == pending.license_expire_time
    refused = failure(lambda: activate(stub, sae, "machine-d"))
    assert refused.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.reason == "ACTIVATION_LIMIT_REACHED"
    free_at = when(pending.seat_free_time)
    assert dt.datetime.fromisoformat(refused.metadata["next_free_time"]) == free_at.replace(
        microsecond=0
    )
    assert "portal" in refused.message_es
    # One second before the licence expires the seat still counts; at expiry it is free.
    clock.set(free_at - dt.timedelta(seconds=1))
    assert failure(lambda: activate(stub, sae, "machine-d")).reason == "ACTIVATION_LIMIT_REACHED"
    clock.set(free_at)
    assert activate(stub, sae, "machine-d").activation_id
    shown = {a.activation_id: a.state for a in portal_user.list(sae.serial_number).activations}
    assert shown[third.activation_id] == RELEASED
    kinds = [e["release_kind"] for e in events(server, "activation.released")]
    assert kinds == ["TRANSFER", "TRANSFER", "PENDING"]
    sent = emails(server)
    assert [e["hostname"] for e in sent] == ["MACHINE-A", "MACHINE-B", "MACHINE-C"]
    assert {e["recipient"] for e in sent} == {"demo@example.com"}
    assert sent[2]["seat_free_time"] == free_at.isoformat()


def test_a_full_serial_without_pending_seats_has_no_next_free_time(
    stub: Any, sae: DemoSerial
) -> None:
    activate(stub, sae, "machine-a")
    refused = failure(lambda: activate(stub, sae, "machine-b"))
    assert refused.reason == "ACTIVATION_LIMIT_REACHED"
    assert "next_free_time" not in refused.metadata


def test_transfers_are_counted_per_rolling_year(
    server: RunningServer, stub: Any, sae: DemoSerial, portal_user: Portal, clock: FixedClock
) -> None:
    first_transfer = clock.now()
    for machine in ("machine-a", "machine-b"):
        activation = activate(stub, sae, machine)
        portal_user.release(sae.serial_number, activation.activation_id)
        clock.advance(dt.timedelta(days=1))
    update_subscription(server, sae.row_id, installations_allowed=2)
    later = [activate(stub, sae, machine) for machine in ("machine-c", "machine-d")]
    clock.set(first_transfer + dt.timedelta(days=364))
    for activation, machine in zip(later, ("machine-c", "machine-d"), strict=True):
        stub.ValidateLicense(  # a licence valid for a month more
            activation_service_pb2.ValidateLicenseRequest(
                serial_number=sae.serial_number,
                activation_id=activation.activation_id,
                machine_fingerprint=machine,
            )
        )

    # 364 days after the first transfer: none left, the seat holds.
    held = portal_user.release(sae.serial_number, later[0].activation_id)
    # A year and a second after the first one, it is back.
    clock.set(first_transfer + dt.timedelta(days=365, seconds=1))
    moved = portal_user.release(sae.serial_number, later[1].activation_id)

    assert (held.activation.state, held.transfers_remaining) == (PENDING, 0)
    assert (moved.activation.state, moved.transfers_remaining) == (RELEASED, 0)
    kinds = [e["release_kind"] for e in events(server, "activation.released")]
    assert kinds == ["TRANSFER", "TRANSFER", "PENDING", "TRANSFER"]


def test_the_products_deactivation_goes_through_the_same_rule(
    stub: Any, sae: DemoSerial, portal_user: Portal
) -> None:
    for machine in ("machine-a", "machine-b"):
        activation = activate(stub, sae, machine)
        portal_user.release(sae.serial_number, activation.activation_id)
    third = activate(stub, sae, MACHINE)

    done = stub.DeactivateInstallation(
        activation_service_pb2.DeactivateInstallationRequest(
            serial_number=sae.serial_number,
            activation_id=third.activation_id,
            machine_fingerprint=MACHINE,
        )
    ).activation

    assert done.state == PENDING
    assert failure(lambda: activate(stub, sae, "machine-d")).metadata["next_free_time"]


def test_releasing_twice_answers_the_same_and_sends_one_email(
    server: RunningServer, stub: Any, sae: DemoSerial, portal_user: Portal
) -> None:
    first = activate(stub, sae, "machine-a")
    request_id = str(uuid.uuid4())
    done = portal_user.release(sae.serial_number, first.activation_id, request_id)
    assert portal_user.release(sae.serial_number, first.activation_id, request_id) == done
    again = portal_user.release(sae.serial_number, first.activation_id)
    assert again.activation == done.activation
    assert len(emails(server)) == 1
    assert len(events(server, "activation.released")) == 1
    reused = failure(
        lambda: portal_user.release(sae.serial_number, "act_0000000000000000", request_id)
    )
    assert reused.reason == "REQUEST_ID_REUSED"


def test_a_released_installation_no_longer_validates(
    stub: Any, sae: DemoSerial, portal_user: Portal
) -> None:
    first = activate(stub, sae, "machine-a")
    portal_user.release(sae.serial_number, first.activation_id)
    refused = failure(
        lambda: stub.ValidateLicense(
            activation_service_pb2.ValidateLicenseRequest(
                serial_number=sae.serial_number,
                activation_id=first.activation_id,
                machine_fingerprint="machine-a",
            )
        )
    )
    assert refused.reason == "ACTIVATION_NOT_FOUND"


# --- what is shown --------------------------------------------------------------


def test_list_activations_pages_and_shows_each_seat(
    server: RunningServer, stub: Any, sae: DemoSerial, portal_user: Portal, clock: FixedClock
) -> None:
    update_subscription(server, sae.row_id, installations_allowed=3)
    made = [activate(stub, sae, f"machine-{n}") for n in range(3)]
    clock.advance(dt.timedelta(minutes=5))
    portal_user.release(sae.serial_number, made[0].activation_id)

    first = portal_user.list(sae.serial_number, page_size=2)
    second = portal_user.list(sae.serial_number, page_size=2, page_token=first.next_page_token)

    listed = [*first.activations, *second.activations]
    assert [a.activation_id for a in listed] == [a.activation_id for a in made]
    assert second.next_page_token == ""
    assert [a.state for a in listed] == [RELEASED, ACTIVE, ACTIVE]
    assert when(listed[0].release_time) == clock.now()
    assert when(listed[1].last_validate_time) == when(made[1].create_time)
    assert not listed[1].HasField("release_time")
    assert when(listed[1].license_expire_time) > clock.now()


def test_another_accounts_serial_is_not_found(
    server: RunningServer, stub: Any, sae: DemoSerial
) -> None:
    first = activate(stub, sae, "machine-a")
    stranger = Portal(server, "demo2", "demo2-aspel-2026")
    assert failure(lambda: stranger.list(sae.serial_number)).reason == "SERIAL_NOT_FOUND"
    refused = failure(lambda: stranger.release(sae.serial_number, first.activation_id))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")
    # Nor can demo2 reach it through its own serial.
    own = demo_serial(server, "demo2", "SAE")
    refused = failure(lambda: stranger.release(own.serial_number, first.activation_id))
    assert refused.reason == "ACTIVATION_NOT_FOUND"
    assert events(server, "activation.released") == []


def test_a_page_token_of_one_serial_does_not_read_another(
    server: RunningServer, portal_user: Portal, sae: DemoSerial
) -> None:
    caja = demo_serial(server, "demo", "CAJA")
    update_subscription(server, sae.row_id, installations_allowed=2)
    stub = activation_service_pb2_grpc.ActivationServiceStub(server.channel)
    activate(stub, sae, "machine-a")
    activate(stub, sae, "machine-b")
    token = portal_user.list(sae.serial_number, page_size=1).next_page_token
    assert token
    refused = failure(lambda: portal_user.list(caja.serial_number, page_token=token))
    assert refused.reason == "INVALID_PAGE_TOKEN"


# --- support --------------------------------------------------------------------


def test_support_releases_with_a_reason_in_the_audit_and_lookup_shows_the_seats(
    server: RunningServer, stub: Any, sae: DemoSerial, support: Any, portal_user: Portal
) -> None:
    for machine in ("machine-a", "machine-b"):
        activation = activate(stub, sae, machine)
        portal_user.release(sae.serial_number, activation.activation_id)
    third = activate(stub, sae, "machine-c")
    request = admin_service_pb2.AdminServiceReleaseActivationRequest(
        serial_number=sae.serial_number,
        activation_id=third.activation_id,
        reason="Ticket 4411: equipo robado",
        request_id=str(uuid.uuid4()),
    )

    released = support(request)

    assert released.activation.state == PENDING
    assert support(request) == released
    detail = events(server, "activation.released")[-1]
    assert detail["reason"] == "Ticket 4411: equipo robado"
    assert detail["release_kind"] == "PENDING"
    found = support.lookup(sae.serial_number)
    assert (found.seats_in_use, found.transfers_remaining) == (1, 0)
    shown = {a.activation_id: a for a in found.activations}
    assert shown[third.activation_id].state == PENDING
    assert shown[third.activation_id].seat_free_time == released.activation.seat_free_time
    assert len(emails(server)) == 3


def test_support_must_give_a_reason(stub: Any, sae: DemoSerial, support: Any) -> None:
    first = activate(stub, sae, "machine-a")
    refused = failure(
        lambda: support(
            admin_service_pb2.AdminServiceReleaseActivationRequest(
                serial_number=sae.serial_number, activation_id=first.activation_id, reason="  "
            )
        )
    )
    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")


# --- the licence bound ---------------------------------------------------------------


def test_the_recorded_licence_expiry_is_never_before_any_licence_handed_out(
    server: RunningServer, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    """Validations within the record interval write nothing, yet each hands
    out a licence: the recorded bound must cover all of them, grace included
    (a licence keeps full use offline until its grace_end_time)."""
    update_subscription(server, sae.row_id, next_payment_date=dt.date(2027, 6, 1))
    first = stub.ActivateInstallation(activate_request(sae))
    issued = activation_pb2.LicenseCertificate.FromString(first.signed_license.certificate)
    expiries = [issued.expire_time, issued.grace_end_time]
    for _ in range(12):
        clock.advance(dt.timedelta(minutes=11))
        validated = stub.ValidateLicense(
            activation_service_pb2.ValidateLicenseRequest(
                serial_number=sae.serial_number,
                activation_id=first.activation.activation_id,
                machine_fingerprint=MACHINE,
            )
        )
        certificate = activation_pb2.LicenseCertificate.FromString(
            validated.signed_license.certificate
        )
        expiries += [certificate.expire_time, certificate.grace_end_time]
        with server.services.store.connection():
            bound = Activation.get(
                Activation.public_id == first.activation.activation_id
            ).license_expire_time
        assert all(when(e) <= bound for e in expiries)


# --- the reclaim -------------------------------------------------------------------


def test_a_silent_machine_is_reclaimed_once_audited_and_emailed(
    server: RunningServer, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    update_subscription(server, sae.row_id, installations_allowed=2)
    silent = activate(stub, sae, "machine-a")
    alive = activate(stub, sae, "machine-b")
    with server.services.store.connection():
        bound = Activation.get(Activation.public_id == silent.activation_id).license_expire_time
    reclaim = server.services.admin.installations.reclaim

    clock.set(bound + dt.timedelta(days=30))
    assert reclaim() == 0  # exactly 30 days: not yet
    stub.ValidateLicense(
        activation_service_pb2.ValidateLicenseRequest(
            serial_number=sae.serial_number,
            activation_id=alive.activation_id,
            machine_fingerprint="machine-b",
        )
    )
    clock.advance(dt.timedelta(seconds=1))

    assert reclaim() == 1
    assert reclaim() == 0

    assert [e["activation_id"] for e in events(server, "activation.reclaimed")] == [
        silent.activation_id
    ]
    assert [e["activation_id"] for e in emails(server)] == [silent.activation_id]
    assert len(held_seats(server, sae.row_id)) == 1


def test_concurrent_reclaims_reclaim_each_activation_once(
    server: RunningServer, stub: Any, sae: DemoSerial, clock: FixedClock
) -> None:
    update_subscription(server, sae.row_id, installations_allowed=6)
    for n in range(6):
        activate(stub, sae, f"machine-{n}")
    # Past every licence's bound (validity, record interval and grace) and the
    # 30 days of silence after it.
    clock.advance(dt.timedelta(days=100))
    reclaim = server.services.admin.installations.reclaim
    counts: list[int] = []

    def run() -> None:
        with server.services.store.connection():
            counts.append(reclaim())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 6
    assert len(events(server, "activation.reclaimed")) == 6
    assert len(emails(server)) == 6


# --- concurrency ---------------------------------------------------------------------


def test_concurrent_releases_and_activations_never_exceed_the_seats(
    server: RunningServer, stub: Any, sae: DemoSerial, portal_user: Portal
) -> None:
    update_subscription(server, sae.row_id, installations_allowed=3)
    held = [activate(stub, sae, f"old-{n}") for n in range(3)]
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(9)

    def release(activation: activation_pb2.Activation) -> None:
        start.wait()
        portal_user.release(sae.serial_number, activation.activation_id)

    def activate_new(n: int) -> None:
        start.wait()
        try:
            activate(stub, sae, f"new-{n}")
            outcome = "activated"
        except grpc.RpcError as error:
            outcome = describe(error).reason
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=release, args=(a,)) for a in held]
    threads += [threading.Thread(target=activate_new, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Two transfers free two seats at once; the third release is pending.
    assert outcomes.count("activated") <= 2
    assert set(outcomes) <= {"activated", "ACTIVATION_LIMIT_REACHED"}
    seats = held_seats(server, sae.row_id)
    assert len(seats) == len(set(seats)) <= 3
    assert len(seats) == 1 + outcomes.count("activated")


def test_the_released_machine_itself_may_activate_again_at_once(
    server: RunningServer, stub: Any, sae: DemoSerial, portal_user: Portal
) -> None:
    """Its pending seat guards against a copy on another machine; the old
    licence runs on this machine only, so its own new activation takes it."""
    for machine in ("machine-a", "machine-b"):
        activation = activate(stub, sae, machine)
        portal_user.release(sae.serial_number, activation.activation_id)
    third = activate(stub, sae, "machine-c")
    assert portal_user.release(sae.serial_number, third.activation_id).activation.state == PENDING

    assert failure(lambda: activate(stub, sae, "machine-d")).reason == "ACTIVATION_LIMIT_REACHED"
    again = activate(stub, sae, "machine-c")

    assert again.activation_id != third.activation_id
    assert again.state == ACTIVE
    assert len(held_seats(server, sae.row_id)) == 1
    shown = {a.activation_id: a.state for a in portal_user.list(sae.serial_number).activations}
    assert shown[third.activation_id] == RELEASED
