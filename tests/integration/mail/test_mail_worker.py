"""The outbox worker against a real SMTP server, on a fixed clock: delivery,
waiting while the server is down, backoff, giving up, crashed workers' claims,
and two workers never sending one row at the same time."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

import pytest

from aspel.licensing.server.app import Services
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.mail.transports import TemporaryFailure
from aspel.licensing.server.mail.worker import RetryPolicy
from aspel.licensing.server.store.models import OutboxMessage

from .mail_support import MAIL_FROM, SmtpServer, new_worker

CHANGED = {
    "username": "demo",
    "razon_social": "Comercializadora Demo, S.A. de C.V.",
    "change_time": "2026-11-23T18:00:00+00:00",
    "change_time_text": "12:00 del 23 de noviembre de 2026",
}


def queue(services: Services, clock: FixedClock, n: int = 1, **overrides: Any) -> list[int]:
    ids = []
    with services.store.write() as tx:
        for i in range(n):
            fields: dict[str, Any] = {
                "kind": "password_changed",
                "recipient": f"persona{i}@example.com",
                "payload": CHANGED,
            }
            fields.update(overrides)
            ids.append(tx.outbox.enqueue(now=clock.now(), **fields).id)
    return ids


def row(message_id: int) -> OutboxMessage:
    found: OutboxMessage = OutboxMessage.get_by_id(message_id)
    return found


def test_a_queued_message_is_delivered_once_and_marked_sent(
    services: Services, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    [mid] = queue(services, clock)
    worker = new_worker(services.store, clock, smtp_server.transport())
    assert worker.deliver_due() == 1
    assert worker.deliver_due() == 0
    sent = row(mid)
    assert (sent.state, sent.attempts, sent.sent_time) == ("SENT", 1, clock.now())
    [got] = smtp_server.received
    assert got.rcpt_tos == ["persona0@example.com"]
    assert got.message["Message-ID"] == sent.message_id
    assert got.message["From"] == MAIL_FROM
    assert "Se cambió la contraseña" in got.message["Subject"]


def test_messages_wait_while_smtp_is_down_and_all_go_out_when_it_is_back(
    services: Services, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    ids = queue(services, clock, n=3)
    worker = new_worker(services.store, clock, smtp_server.transport())
    smtp_server.stop()

    assert worker.deliver_due() == 3  # each tried once, none delivered
    for mid in ids:
        waiting = row(mid)
        assert waiting.state == "PENDING"
        assert waiting.attempts == 1
        assert waiting.next_attempt_time > clock.now()
        assert "ConnectionRefused" in (waiting.last_error or "")
    assert worker.deliver_due() == 0  # not due again yet

    clock.advance(dt.timedelta(minutes=1))
    assert worker.deliver_due() == 3  # second try, still down
    assert {row(mid).attempts for mid in ids} == {2}

    smtp_server.start()
    clock.advance(dt.timedelta(minutes=5))
    assert worker.deliver_due() == 3
    assert [row(mid).state for mid in ids] == ["SENT"] * 3
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "persona0@example.com",
        "persona1@example.com",
        "persona2@example.com",
    ]


def test_backoff_doubles_with_jitter_up_to_the_longest_delay() -> None:
    policy = RetryPolicy(first_delay=dt.timedelta(seconds=30), longest_delay=dt.timedelta(hours=1))
    assert policy.delay(1, 0.0) == dt.timedelta(seconds=15)
    assert policy.delay(1, 0.999999) < dt.timedelta(seconds=30)
    assert policy.delay(2, 0.0) == dt.timedelta(seconds=30)
    assert policy.delay(3, 0.0) == dt.timedelta(seconds=60)
    assert policy.delay(50, 0.0) == dt.timedelta(minutes=30)
    assert policy.delay(50, 0.999999) < dt.timedelta(hours=1)


class AlwaysDown:
    def send(self, message: EmailMessage, envelope_from: str, recipients: Sequence[str]) -> None:
        raise TemporaryFailure("ConnectionRefusedError: [Errno 111] Connection refused")

    def describe(self) -> str:
        return "down"


def test_a_message_that_cannot_go_out_within_the_bound_is_failed_visibly(
    services: Services, clock: FixedClock
) -> None:
    [mid] = queue(services, clock)
    worker = new_worker(services.store, clock, AlwaysDown())
    rounds = 0
    while row(mid).state == "PENDING":
        rounds += 1
        assert rounds < 200
        worker.deliver_due()
        clock.set(max(clock.now(), row(mid).next_attempt_time))
    failed = row(mid)
    assert failed.state == "FAILED"
    assert failed.last_error is not None
    assert failed.last_error.startswith(f"gave up after {failed.attempts} attempts")
    # Never past the bound: 48 hours after it was queued.
    assert clock.now() <= failed.create_time + dt.timedelta(hours=48)


def test_max_attempts_also_bounds_retries(services: Services, clock: FixedClock) -> None:
    [mid] = queue(services, clock)
    worker = new_worker(services.store, clock, AlwaysDown(), RetryPolicy(max_attempts=3))
    for _ in range(3):
        worker.deliver_due()
        clock.advance(dt.timedelta(hours=2))
    assert (row(mid).state, row(mid).attempts) == ("FAILED", 3)


def test_a_permanent_refusal_fails_at_once(
    services: Services, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    [mid] = queue(services, clock)
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such mailbox"
    new_worker(services.store, clock, smtp_server.transport()).deliver_due()
    failed = row(mid)
    assert (failed.state, failed.attempts) == ("FAILED", 1)
    assert "550" in (failed.last_error or "")


def test_a_row_left_sending_by_a_dead_worker_is_delivered_after_its_claim_expires(
    services: Services, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    [mid] = queue(services, clock)
    # A worker claimed it and died before sending (or before recording the send).
    with services.store.write() as tx:
        claimed = tx.outbox.claim_next(now=clock.now(), claim_for=dt.timedelta(minutes=5))
    assert claimed is not None and claimed.id == mid
    worker = new_worker(services.store, clock, smtp_server.transport())

    assert worker.deliver_due() == 0  # the claim still stands
    assert smtp_server.received == []

    clock.advance(dt.timedelta(minutes=5))
    assert worker.deliver_due() == 1
    assert (row(mid).state, row(mid).attempts) == ("SENT", 2)
    assert len(smtp_server.received) == 1


def test_a_claim_is_taken_by_exactly_one_caller(services: Services, clock: FixedClock) -> None:
    [mid] = queue(services, clock)
    with services.store.write() as tx:
        first = tx.outbox.claim_next(now=clock.now(), claim_for=dt.timedelta(minutes=5))
    with services.store.write() as tx:
        second = tx.outbox.claim_next(now=clock.now(), claim_for=dt.timedelta(minutes=5))
    assert first is not None and first.id == mid
    assert second is None


class HoldingTransport:
    """Records sends; the first send waits until `release` is set."""

    def __init__(self, name: str, log: list[tuple[str, str]], lock: threading.Lock) -> None:
        self.name = name
        self.log = log
        self.lock = lock
        self.holding = threading.Event()
        self.release = threading.Event()
        self.sent = 0

    def send(self, message: EmailMessage, envelope_from: str, recipients: Sequence[str]) -> None:
        if self.sent == 0:
            self.holding.set()
            assert self.release.wait(30)
        self.sent += 1
        with self.lock:
            self.log.append((self.name, str(message["Message-ID"])))

    def describe(self) -> str:
        return self.name


def test_two_workers_never_send_the_same_row(services: Services, clock: FixedClock) -> None:
    ids = queue(services, clock, n=12)
    log: list[tuple[str, str]] = []
    lock = threading.Lock()
    first = HoldingTransport("A", log, lock)
    second = HoldingTransport("B", log, lock)
    second.holding.set()  # B does not hold
    second.sent = 1
    worker_a = new_worker(services.store, clock, first)
    worker_b = new_worker(services.store, clock, second)

    thread_a = threading.Thread(target=worker_a.deliver_due)
    thread_a.start()
    assert first.holding.wait(30)  # A has claimed one row and is "sending" it
    handled_by_b = worker_b.deliver_due()  # B runs meanwhile, in this thread
    first.release.set()
    thread_a.join(30)

    assert handled_by_b == 11  # everything but the row A held
    ids_sent = [message_id for _, message_id in log]
    assert len(ids_sent) == len(set(ids_sent)) == 12
    assert [row(mid).state for mid in ids] == ["SENT"] * 12
    assert sum(1 for name, _ in log if name == "A") == 1


def test_an_expired_reset_email_is_not_sent_and_its_token_is_erased(
    services: Services, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    payload = {
        "username": "demo",
        "razon_social": "X",
        "reset_token": "alr_secret-token",
        "valid_minutes": "30",
        "expire_time": (clock.now() + dt.timedelta(minutes=30)).isoformat(),
        "expire_time_text": "12:30",
    }
    [mid] = queue(services, clock, kind="password_reset", payload=payload)
    clock.advance(dt.timedelta(minutes=31))
    new_worker(services.store, clock, smtp_server.transport()).deliver_due()
    failed = row(mid)
    assert failed.state == "FAILED"
    assert (failed.last_error or "").startswith("EXPIRED")
    assert "reset_token" not in failed.payload
    assert smtp_server.received == []


def test_a_sent_reset_email_keeps_no_token(
    services: Services, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    payload = {
        "username": "demo",
        "razon_social": "X",
        "reset_token": "alr_secret-token",
        "valid_minutes": "30",
        "expire_time": (clock.now() + dt.timedelta(minutes=30)).isoformat(),
        "expire_time_text": "12:30",
    }
    [mid] = queue(services, clock, kind="password_reset", payload=payload)
    new_worker(services.store, clock, smtp_server.transport()).deliver_due()
    assert row(mid).state == "SENT"
    assert "reset_token" not in row(mid).payload
    assert "alr_secret-token" in smtp_server.received[0].text()


def test_a_row_that_cannot_be_rendered_fails_without_sending(
    services: Services, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    [mid] = queue(services, clock, kind="birthday_card")
    new_worker(services.store, clock, smtp_server.transport()).deliver_due()
    assert row(mid).state == "FAILED"
    assert "cannot render" in (row(mid).last_error or "")
    assert smtp_server.received == []


@pytest.mark.parametrize("state", ["SENT", "FAILED"])
def test_final_rows_are_never_taken_again(
    services: Services, clock: FixedClock, smtp_server: SmtpServer, state: str
) -> None:
    [mid] = queue(services, clock)
    OutboxMessage.update(state=state).where(OutboxMessage.id == mid).execute()
    clock.advance(dt.timedelta(days=3))
    assert new_worker(services.store, clock, smtp_server.transport()).deliver_due() == 0
    assert smtp_server.received == []
