"""Billing calls racing on one serial: no payment lost, none counted twice."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from typing import Any

from aspel.licensing.server.store.models import AuditEvent, Subscription
from aspel.licensing.v1 import admin_service_pb2 as admin_pb

from .conftest import Admin

RACERS = 12


def _race(call: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(RACERS)
    answers: list[Any] = []
    failures: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            answers.append(call(i))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, failures


def _sae_serial(server: Any) -> str:
    with server.services.store.connection():
        return str(
            Subscription.select()
            .where((Subscription.product_code == "SAE") & (Subscription.users == 1))
            .order_by(Subscription.id)
            .first()
            .serial_number
        )


def _due(server: Any, serial: str) -> dt.date:
    with server.services.store.connection():
        return Subscription.get(Subscription.serial_number == serial).next_payment_date


def test_concurrent_payments_of_one_serial_each_count_once(demo_admin: Admin, server: Any) -> None:
    serial = _sae_serial(server)
    before = _due(server, serial)
    _, failures = _race(
        lambda i: demo_admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(serial_number=serial, request_id=str(uuid.uuid4()))
        )
    )
    assert failures == []
    months = (_due(server, serial).year - before.year) * 12 + _due(server, serial).month
    assert months - before.month == RACERS


def test_one_payment_retried_concurrently_counts_once(demo_admin: Admin, server: Any) -> None:
    serial = _sae_serial(server)
    before = _due(server, serial)
    request_id = str(uuid.uuid4())
    answers, failures = _race(
        lambda i: demo_admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(serial_number=serial, request_id=request_id)
        )
    )
    assert failures == []
    assert len({a.subscription.next_payment_date.SerializeToString() for a in answers}) == 1
    after = _due(server, serial)
    assert (after.year * 12 + after.month) - (before.year * 12 + before.month) == 1
    with server.services.store.connection():
        assert AuditEvent.select().where(AuditEvent.kind == "payment.recorded").count() == 1


def test_one_username_claimed_concurrently_opens_one_account(demo_admin: Admin) -> None:
    answers, failures = _race(
        lambda i: demo_admin.billing.CreateAccount(
            admin_pb.CreateAccountRequest(
                username="disputado", email=f"n{i}@example.com", razon_social=f"Empresa {i}"
            )
        )
    )
    assert len(answers) == 1
    assert len(failures) == RACERS - 1
    assert {f.code().name for f in failures} == {"ALREADY_EXISTS"}  # type: ignore[attr-defined]
