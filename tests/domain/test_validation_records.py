"""The validation recorder (domain/validation_records.py) against a store that
fails on demand: a failed write is logged without secrets and written again,
and a caller that needs its bound gets the failure, never a silent loss."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.domain.validation_records import Record, ValidationRecorder

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
SECRET = "postgresql://licensing:hunter2@db.internal/licensing"


class FlakyStore:
    """Fails the first `failures` transactions as a database outage would."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.written: list[list[tuple[int, dt.datetime | None, dt.datetime]]] = []
        self.wrote = threading.Event()

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        if self.failures:
            self.failures -= 1
            raise errors.DatabaseUnavailable() from ConnectionError(SECRET)
        yield SimpleNamespace(activations=SimpleNamespace(record_validations=self._record))
        self.wrote.set()

    def _record(self, records: Any) -> None:
        self.written.append(list(records))


def _record(activation_id: int, minutes: int = 0) -> Record:
    at = NOW + dt.timedelta(minutes=minutes)
    return Record(activation_id, at, at + dt.timedelta(days=31))


def test_what_is_queued_is_written_in_one_batch_later_times_winning() -> None:
    store = FlakyStore(failures=0)
    recorder = ValidationRecorder(store, delay_seconds=3600)  # type: ignore[arg-type]
    recorder.start()
    try:
        recorder.later(_record(2))
        recorder.later(_record(1))
        recorder.later(_record(2, minutes=5))
        assert store.written == []
        recorder.flush()
    finally:
        recorder.stop(10)
    assert store.written == [
        [(1, NOW, NOW + dt.timedelta(days=31)), (2, *_times(5))],
    ]


def _times(minutes: int) -> tuple[dt.datetime, dt.datetime]:
    at = NOW + dt.timedelta(minutes=minutes)
    return at, at + dt.timedelta(days=31)


def test_a_failed_write_is_logged_without_secrets_and_written_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyStore(failures=2)
    recorder = ValidationRecorder(store, delay_seconds=0.01)  # type: ignore[arg-type]
    recorder.start()
    try:
        with caplog.at_level(logging.WARNING):
            recorder.later(_record(7))
            assert store.wrote.wait(30)
    finally:
        recorder.stop(10)
    assert store.written == [[(7, *_times(0))]]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all("could not record 1 validations (DatabaseUnavailable)" in w for w in warnings)
    assert "hunter2" not in caplog.text and "db.internal" not in caplog.text


def test_a_caller_waiting_for_its_bound_gets_the_failure() -> None:
    store = FlakyStore(failures=1)
    recorder = ValidationRecorder(store, delay_seconds=3600)  # type: ignore[arg-type]
    recorder.start()
    try:
        with pytest.raises(errors.DatabaseUnavailable):
            recorder.now(_record(3))
        # Still queued: the next round writes it.
        assert recorder.pending() == 1
        recorder.now(_record(4))
    finally:
        recorder.stop(10)
    assert store.written == [[(3, *_times(0)), (4, *_times(0))]]


def test_stop_writes_what_is_queued() -> None:
    store = FlakyStore(failures=0)
    recorder = ValidationRecorder(store, delay_seconds=3600)  # type: ignore[arg-type]
    recorder.start()
    recorder.later(_record(5))
    assert recorder.stop(10)
    assert store.written == [[(5, *_times(0))]]
    # Once stopped, a late call writes its own record (no queue left unwritten).
    recorder.later(_record(6))
    assert store.written[-1] == [(6, *_times(0))]


class StuckStore(FlakyStore):
    """A write that blocks (another process's lock, an operator's open
    transaction) until released."""

    def __init__(self) -> None:
        super().__init__(failures=0)
        self.release = threading.Event()

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        assert self.release.wait(30)
        with super().write() as tx:
            yield tx


def test_a_caller_waits_for_its_bound_at_most_wait_seconds() -> None:
    store = StuckStore()
    recorder = ValidationRecorder(store, delay_seconds=3600, wait_seconds=0.05)  # type: ignore[arg-type]
    recorder.start()
    try:
        # No licence on this path: the caller is answered UNAVAILABLE, its
        # thread is free again, and the record stays for the stuck round.
        with pytest.raises(errors.DatabaseUnavailable):
            recorder.now(_record(8))
        store.release.set()
        assert store.wrote.wait(30)
    finally:
        recorder.stop(10)
    assert store.written == [[(8, *_times(0))]]
