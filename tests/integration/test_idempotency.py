"""Retries by request_id on the real server, both engines: twins racing with one
request_id all get the first answer and the work happens once; the same id
with anything else changed is REQUEST_ID_REUSED."""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import grpc
from google.rpc import error_details_pb2

from aspel.licensing.server.store.models import (
    Activation,
    IdempotencyRecord,
    OutboxMessage,
    Subscription,
)
from aspel.licensing.v1 import activation_service_pb2 as activation_pb
from aspel.licensing.v1 import activation_service_pb2_grpc as activation_grpc
from aspel.licensing.v1 import licensing_service_pb2 as pb
from tests.conftest import RunningServer
from tests.integration.activation.conftest import activate_request, demo_serial
from tests.transport.calls import detail_of, reason_of

from .helpers import Portal, rich_error

TWINS = 8


#: SERVER_BUSY (UNAVAILABLE with RetryInfo): the hashing gate was full, nothing
#: was done. A twin does what every client of ours does with it (client/base.py):
#: it waits the RetryInfo delay and sends the same request again.
BUSY_RETRIES = 10


def _retrying_busy(call: Callable[[], Any]) -> Any:
    for _ in range(BUSY_RETRIES):
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or reason_of(error) != "SERVER_BUSY":
                raise
            time.sleep(
                detail_of(error, error_details_pb2.RetryInfo)
                .retry_delay.ToTimedelta()
                .total_seconds()
            )
    return call()


def race(call: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """Runs `call` in TWINS threads released at once; their answers and failures."""
    barrier = threading.Barrier(TWINS)
    answers: list[Any] = []
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            answers.append(_retrying_busy(call))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(TWINS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers, failures


def codes(failures: list[BaseException]) -> list[str]:
    return [f.code().name if isinstance(f, grpc.RpcError) else repr(f) for f in failures]  # type: ignore[attr-defined]


def emails(server: RunningServer, kind: str) -> int:
    with server.services.store.connection():
        return int(OutboxMessage.select().where(OutboxMessage.kind == kind).count())


# --- AcceptUpgrade ---------------------------------------------------------------


def test_twins_accepting_with_one_request_id_all_get_the_first_answer(
    server: RunningServer,
) -> None:
    portal = Portal(server.channel).login()

    def accept(request: pb.AcceptUpgradeRequest) -> Any:
        return portal.stub.AcceptUpgrade(request, metadata=portal.auth)

    # Two serials, two races: a lost race shows in one of them, not always in both.
    for number, product in enumerate(("SAE", "CAJA"), start=1):
        serial = portal.serial(product)
        terms_id = portal.terms(serial).terms_id
        request = pb.AcceptUpgradeRequest(
            serial_number=serial, terms_id=terms_id, request_id=str(uuid.uuid4())
        )

        answers, failures = race(functools.partial(accept, request))

        assert codes(failures) == []
        assert len({a.SerializeToString(deterministic=True) for a in answers}) == 1
        with server.services.store.connection():
            successors = Subscription.select().where(Subscription.predecessor.is_null(False))
            assert successors.count() == number
        assert emails(server, "upgrade_notification") == number


def test_a_request_id_replays_its_accept_and_refuses_other_terms(server: RunningServer) -> None:
    portal = Portal(server.channel).login()
    serial = portal.serial("SAE")
    terms_id = portal.terms(serial).terms_id
    request_id = str(uuid.uuid4())
    first = portal.accept(serial, terms_id, request_id)

    assert portal.accept(serial, terms_id, request_id) == first
    error = rich_error(lambda: portal.accept(serial, terms_id + "-otros", request_id))

    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


def test_a_reused_request_id_is_named_before_what_the_other_request_would_be_refused_for(
    server: RunningServer,
) -> None:
    # The claim of the request_id decides first: a retry of a request still
    # committing elsewhere must wait for it and replay it, never be answered
    # by a check made before the claim (terms published meanwhile).
    portal = Portal(server.channel).login()
    serial = portal.serial("SAE")
    request_id = str(uuid.uuid4())
    portal.accept(serial, portal.terms(serial).terms_id, request_id)
    other = portal.serial("CAJA")
    outdated = portal.terms(other).terms_id + "-anteriores"

    error = rich_error(lambda: portal.accept(other, outdated, request_id))

    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")
    assert rich_error(lambda: portal.accept(other, outdated, str(uuid.uuid4()))).reason == (
        "TERMS_OUTDATED"
    )


# --- password recovery -----------------------------------------------------------


def test_twins_requesting_a_reset_with_one_request_id_send_one_email(
    server: RunningServer,
) -> None:
    portal = Portal(server.channel)
    # Four races (two per account, within its limit of three an hour).
    who = ("demo", "demo2", "demo@example.com", "demo2@example.com")
    for number, identifier in enumerate(who, start=1):
        request = pb.RequestPasswordResetRequest(
            email_or_username=identifier, request_id=str(uuid.uuid4())
        )

        _, failures = race(functools.partial(portal.stub.RequestPasswordReset, request))

        assert codes(failures) == []
        assert emails(server, "password_reset") == number


def test_twins_resetting_with_one_request_id_change_the_password_once(
    server: RunningServer,
) -> None:
    portal = Portal(server.channel)
    portal.stub.RequestPasswordReset(pb.RequestPasswordResetRequest(email_or_username="demo"))
    with server.services.store.connection():
        token = OutboxMessage.get(OutboxMessage.kind == "password_reset").payload["reset_token"]
    request = pb.ResetPasswordRequest(
        reset_token=token,
        new_password="una tarde de lluvia en Coyoacán",
        request_id=str(uuid.uuid4()),
    )

    _, failures = race(lambda: portal.stub.ResetPassword(request))

    assert codes(failures) == []
    assert emails(server, "password_changed") == 1
    # Done: a retry replays, the same id with another token is refused.
    portal.stub.ResetPassword(request)
    other = pb.ResetPasswordRequest()
    other.CopyFrom(request)
    other.reset_token = "alr_" + "B" * 43
    error = rich_error(lambda: portal.stub.ResetPassword(other))
    assert error.reason == "REQUEST_ID_REUSED"


def test_a_request_id_of_a_reset_request_is_refused_for_a_password_reset(
    server: RunningServer,
) -> None:
    """The anonymous callers of both RPCs share one scope; the operation tells them apart."""
    portal = Portal(server.channel)
    request_id = str(uuid.uuid4())
    portal.stub.RequestPasswordReset(
        pb.RequestPasswordResetRequest(email_or_username="demo", request_id=request_id)
    )
    error = rich_error(
        lambda: portal.stub.ResetPassword(
            pb.ResetPasswordRequest(
                reset_token="alr_" + "C" * 43, new_password="x" * 20, request_id=request_id
            )
        )
    )
    assert error.reason == "REQUEST_ID_REUSED"


def test_no_password_reaches_the_stored_fingerprint(server: RunningServer) -> None:
    """The same request with another password is a retry, not another request:
    the digest knows only that a password was given (see request_keys.py)."""
    portal = Portal(server.channel)
    portal.stub.RequestPasswordReset(pb.RequestPasswordResetRequest(email_or_username="demo"))
    with server.services.store.connection():
        token = OutboxMessage.get(OutboxMessage.kind == "password_reset").payload["reset_token"]
    request_id = str(uuid.uuid4())
    portal.stub.ResetPassword(
        pb.ResetPasswordRequest(
            reset_token=token, new_password="una tarde de lluvia", request_id=request_id
        )
    )
    portal.stub.ResetPassword(
        pb.ResetPasswordRequest(
            reset_token=token, new_password="otra tarde distinta", request_id=request_id
        )
    )
    assert emails(server, "password_changed") == 1
    Portal(server.channel).login("demo", "una tarde de lluvia")


# --- ActivationService -----------------------------------------------------------


def test_twins_activating_with_one_request_id_take_one_seat(server: RunningServer) -> None:
    stub = activation_grpc.ActivationServiceStub(server.channel)
    sae = demo_serial(server, "demo", "SAE")
    request = activate_request(sae, request_id=str(uuid.uuid4()))

    answers, failures = race(lambda: stub.ActivateInstallation(request))

    assert codes(failures) == []
    assert len({a.SerializeToString(deterministic=True) for a in answers}) == 1
    with server.services.store.connection():
        assert Activation.select().where(Activation.subscription == sae.row_id).count() == 1


def test_twins_deactivating_with_one_request_id_all_get_the_first_answer(
    server: RunningServer,
) -> None:
    stub = activation_grpc.ActivationServiceStub(server.channel)
    sae = demo_serial(server, "demo", "SAE")
    activated = stub.ActivateInstallation(activate_request(sae)).activation
    request = activation_pb.DeactivateInstallationRequest(
        serial_number=sae.serial_number,
        activation_id=activated.activation_id,
        machine_fingerprint=activated.machine_fingerprint,
        request_id=str(uuid.uuid4()),
    )

    answers, failures = race(lambda: stub.DeactivateInstallation(request))

    assert codes(failures) == []
    assert len({a.SerializeToString(deterministic=True) for a in answers}) == 1
    with server.services.store.connection():
        assert IdempotencyRecord.select().count() == 1
